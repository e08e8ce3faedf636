// The page's half of the contract test (test/contract/schemas.py, test_contract.py). It checks parseNumber against
// the numeric-string table both test suites share, and exports the page's zod schemas as JSON
// Schema (zod 4's z.toJSONSchema) for pytest, which validates the bridge codec's real output
// against them: pytest runs this file with CHEDWEB_SCHEMA_OUT set to the file to write.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseNumber, wireSchemas } from "../src/protocol";

const table = JSON.parse(readFileSync(new URL("../../test/contract/numbers.json", import.meta.url), "utf8")) as {
  numeric: [string, number][];
  not_numeric: string[];
};

/** JSON Schema of every DataChannel message, by type. "output": objects refuse undeclared fields,
 * so a field the bridge sends without a zod schema here fails the contract. */
export function exportSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(wireSchemas).map(([type, schema]) => [type, z.toJSONSchema(schema, { io: "output" })]),
  );
}

describe("numeric-string rule (test/contract/numbers.json)", () => {
  it.each(table.numeric)("%j is the number %d", (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });
  it.each(table.not_numeric.map((t) => [t]))("%j is not a number", (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });
});

describe("JSON Schema export", () => {
  it("exports every wire message type", () => {
    const schemas = exportSchemas();
    expect(Object.keys(schemas).sort()).toEqual(["alert_ok", "alert_state", "diagnostics", "error", "hello", "interest_ok", "levels", "range", "snapshot"]);
    const out = process.env["CHEDWEB_SCHEMA_OUT"];
    if (out) writeFileSync(out, JSON.stringify(schemas, null, 1));
  });
});
