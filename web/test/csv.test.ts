import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "../src/csv";

// The cases the bridge's csv_cells.py is tested with too: one rule on both sides.
const cells = JSON.parse(readFileSync(new URL("../../test/contract/csv_cells.json", import.meta.url), "utf8")) as {
  text: [string, string][];
};

const f = (xs: number[]) => Float64Array.from(xs);

describe("CSV export", () => {
  it("quotes fields that need it", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });

  // Issue 8 item 7: names and keys starting with = + - @ TAB or CR became spreadsheet formulas.
  it.each(cells.text)("writes the text %j as the cell %j", (text, cell) => {
    expect(csvField(text)).toBe(cell);
  });

  it("neutralises formula-like series labels in the header, keeps negative numbers as numbers", () => {
    const csv = toCsv([{ labels: ["=cmd|' /C calc'!A0", "-x\r\ny"], t: Float64Array.from([1]), columns: [f([-1.5]), f([2])] }]);
    // The CR LF inside the label stays inside its quoted cell (RFC 4180).
    expect(csv.startsWith(`time_iso,time_unix,'=cmd|' /C calc'!A0,"'-x\r\ny"\r\n`)).toBe(true);
    expect(csv.trimEnd().split("\r\n").at(-1)).toBe("1970-01-01T00:00:01.000Z,1,-1.5,2");
  });

  it("writes one row per time across tables, empty cells where a series has no sample", () => {
    const csv = toCsv([
      { labels: ["CPU %", "Memory %"], t: Float64Array.from([100, 101]), columns: [f([1.5, 2]), f([50, NaN])] },
      { labels: ["rx B/s"], t: Float64Array.from([101, 102]), columns: [f([10, 20])] },
    ]);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("time_iso,time_unix,CPU %,Memory %,rx B/s");
    expect(lines[1]).toBe("1970-01-01T00:01:40.000Z,100,1.5,50,");
    expect(lines[2]).toBe("1970-01-01T00:01:41.000Z,101,2,,10");
    expect(lines[3]).toBe("1970-01-01T00:01:42.000Z,102,,,20");
    expect(lines).toHaveLength(4);
  });

  it("has just a header when nothing is in view", () => {
    expect(toCsv([{ labels: ["a"], t: new Float64Array(0), columns: [f([])] }])).toBe("time_iso,time_unix,a\r\n");
  });
});
