import { describe, expect, it, vi } from "vitest";
import type { Range } from "../src/protocol";
import { appendLive, historyCsvUrl, insertGaps, queryBody, windowFromParams, windowToParams, RangeAssembler, rangeRows, typicalPeriod, type Rows } from "../src/range-data";
import { RequestClient } from "../src/requests";

const part = (over: Partial<Range>): Range => ({
  type: "range",
  id: 1,
  part: 0,
  parts: 1,
  hardware_id: "r",
  name: "n",
  tier: "minute",
  t0: 100,
  step: 10,
  points: 4,
  start: 0,
  level: [],
  values: {},
  ...over,
});

describe("RangeAssembler", () => {
  it("joins parts in any order at their start offsets", () => {
    const asm = new RangeAssembler();
    expect(asm.add(part({ part: 1, parts: 2, start: 2, values: { k: { min: [5, 6], avg: [5.5, 6.5], max: [6, 7] } } }))).toBeUndefined();
    const r = asm.add(part({ part: 0, parts: 2, start: 0, values: { k: { min: [1, null], avg: [1.5, null], max: [2, null] } } }));
    expect(r?.values["k"]?.avg).toEqual([1.5, null, 5.5, 6.5]);
    expect(r?.values["k"]?.max).toEqual([2, null, 6, 7]);
  });

  it("a repeated part does not complete the answer", () => {
    const asm = new RangeAssembler();
    expect(asm.add(part({ part: 0, parts: 2 }))).toBeUndefined();
    expect(asm.add(part({ part: 0, parts: 2 }))).toBeUndefined();
  });
});

describe("rangeRows", () => {
  it("puts each point at its middle, the average as line, a band only where min and max differ", () => {
    const asm = new RangeAssembler();
    const r = asm.add(part({ values: { a: { min: [1, 2, null, 4], avg: [1, 2.5, null, 4], max: [1, 3, null, 4] }, b: { min: [1, 1, 1, 1], avg: [1, 1, 1, 1], max: [1, 1, 1, 1] } } }))!;
    const rows = rangeRows([{ result: r, key: "a" }, { result: r, key: "b" }, { result: undefined, key: "c" }]);
    expect(rows.t).toEqual([105, 115, 125, 135]);
    expect(rows.lines[0]).toEqual([1, 2.5, null, 4]);
    expect(rows.bands[0]).toEqual([[1, 2, null, 4], [1, 3, null, 4]]);
    expect(rows.bands[1]).toBeUndefined();
    expect(rows.lines[2]).toEqual([null, null, null, null]);
  });
});

describe("appendLive", () => {
  it("adds only samples after the last row, NaN as null, to band columns too", () => {
    const rows: Rows = { t: [1, 2], lines: [[1, 2]], bands: [[[0, 1], [2, 3]]] };
    const out = appendLive(rows, [1.5, 2, 3, 4], [Float64Array.from([9, 9, 7, NaN])]);
    expect(out.t).toEqual([1, 2, 3, 4]);
    expect(out.lines[0]).toEqual([1, 2, 7, null]);
    expect(out.bands[0]).toEqual([[0, 1, 7, null], [2, 3, 7, null]]);
    expect(rows.t).toEqual([1, 2]);
  });
});

describe("insertGaps", () => {
  it("breaks where two rows are more than twice the period apart", () => {
    const rows: Rows = { t: [0, 1, 2, 3, 10, 11], lines: [[1, 1, 1, 1, 2, 2]], bands: [[[0, 0, 0, 0, 1, 1], [2, 2, 2, 2, 3, 3]]] };
    expect(typicalPeriod(rows.t)).toBe(1);
    const out = insertGaps(rows);
    expect(out.t).toEqual([0, 1, 2, 3, 6.5, 10, 11]);
    expect(out.lines[0]).toEqual([1, 1, 1, 1, null, 2, 2]);
    expect(out.bands[0]?.[0]).toEqual([0, 0, 0, 0, null, 1, 1]);
  });

  it("keeps rows about the period apart joined (jitter under twice the period)", () => {
    const rows: Rows = { t: [0, 1, 2.9, 4, 5], lines: [[1, 2, 3, 4, 5]], bands: [undefined] };
    expect(insertGaps(rows).t).toEqual([0, 1, 2.9, 4, 5]);
  });
});

describe("queryBody", () => {
  it("asks for one point per pixel, within the bridge's 1..5000", () => {
    expect(queryBody("r", "n", 0, 10, 640.4, ["k"])).toEqual({ type: "query", hardware_id: "r", name: "n", from: 0, to: 10, points: 640, keys: ["k"] });
    expect(queryBody("r", "n", 0, 10, 9000, []).points).toBe(5000);
  });
});

describe("RequestClient.query", () => {
  it("resolves with the whole answer once every part came in, or with the error of its id", async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const c = new RequestClient((t) => (sent.push(t), true));
    const a = c.query({ type: "query" });
    const b = c.query({ type: "query" });
    const idA = JSON.parse(sent[0]!).id as number;
    const idB = JSON.parse(sent[1]!).id as number;
    c.rangePart(part({ id: idA, part: 0, parts: 2 }));
    c.rangePart(part({ id: idA, part: 1, parts: 2, start: 2 }));
    c.reply(idB, { ok: false, message: "rate limit exceeded" });
    expect((await a).ok).toBe(true);
    expect(await b).toEqual({ ok: false, message: "rate limit exceeded" });
    vi.useRealTimers();
  });
});

describe("historyCsvUrl", () => {
  it("asks the page's own bridge for the machine over the window, with the token where one is set", () => {
    expect(historyCsvUrl("http://robot:8080/?token=s3&x=1#a", "robot 1", 100.5, 200.2, "s3")).toBe(
      "http://robot:8080/history.csv?hardware_id=robot+1&from=100&to=201&token=s3",
    );
    expect(historyCsvUrl("http://robot:8080/sub/index.html", "r", 1, 2, null)).toBe("http://robot:8080/sub/history.csv?hardware_id=r&from=1&to=2");
  });

  it("asks for one status when given its name, whatever characters it has", () => {
    const url = new URL(historyCsvUrl("http://robot:8080/?token=s3", "robot 1", 100, 200, "s3", "motor: a&b=c #1"));
    expect(url.pathname).toBe("/history.csv");
    expect(Object.fromEntries(url.searchParams)).toEqual({ hardware_id: "robot 1", status: "motor: a&b=c #1", from: "100", to: "200", token: "s3" });
  });
});

describe("window in the URL", () => {
  it("round-trips the range and a fixed window, and reads anything else as the default", () => {
    const p = new URLSearchParams("token=x");
    windowToParams({ range: 86400, zoom: [100.2, 200.7] }, p);
    expect(p.toString()).toBe("token=x&range=86400&window=100-201");
    expect(windowFromParams(p)).toEqual({ range: 86400, zoom: [100, 201] });
    windowToParams({ range: 300, zoom: undefined }, p);
    expect(p.toString()).toBe("token=x");
    expect(windowFromParams(new URLSearchParams("range=7&window=5-1"))).toEqual({ range: 300, zoom: undefined });
  });
});
