import { describe, expect, it } from "vitest";
import { csvField, toCsv } from "../src/csv";

const f = (xs: number[]) => Float64Array.from(xs);

describe("CSV export", () => {
  it("quotes fields that need it", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
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
