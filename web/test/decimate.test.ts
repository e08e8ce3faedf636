import { describe, expect, it } from "vitest";
import { decimate } from "../src/decimate";

const table = (t: number[], ...cols: number[][]) => ({
  labels: cols.map((_, i) => `s${i}`),
  t: Float64Array.from(t),
  columns: cols.map((c) => Float64Array.from(c)),
});

describe("decimate", () => {
  it("passes small tables through, NaN as null", () => {
    const d = decimate(table([1, 2, 3], [1, NaN, 3]), 100);
    expect(Array.from(d.t)).toEqual([1, 2, 3]);
    expect(d.columns).toEqual([[1, null, 3]]);
  });

  it("keeps every bucket's min and max in time order, with strictly increasing times", () => {
    const n = 1000;
    const t = Array.from({ length: n }, (_, i) => i);
    const v = t.map((i) => (i === 537 ? 500 : i === 123 ? -50 : i % 10));
    const d = decimate(table(t, v), 100);
    expect(d.t.length).toBeLessThanOrEqual(100);
    for (let i = 1; i < d.t.length; i++) expect(d.t[i]!).toBeGreaterThan(d.t[i - 1]!);
    const values = d.columns[0]!.filter((x): x is number => x !== null);
    expect(Math.max(...values)).toBe(500);
    expect(Math.min(...values)).toBe(-50);
    expect(d.t[0]).toBe(0);
    expect(d.t[d.t.length - 1]).toBe(n - 1);
  });

  it("leaves a bucket empty (null) where a series has no sample", () => {
    const t = Array.from({ length: 40 }, (_, i) => i);
    const v = t.map((i) => (i < 20 ? NaN : i));
    const d = decimate(table(t, v), 8);
    expect(d.columns[0]![0]).toBeNull();
    expect(d.columns[0]![d.t.length - 1]).toBe(39);
  });

  it("drops a repeated time from a one-sample last bucket", () => {
    const t = Array.from({ length: 21 }, (_, i) => i);
    const d = decimate(table(t, t), 8);
    for (let i = 1; i < d.t.length; i++) expect(d.t[i]!).toBeGreaterThan(d.t[i - 1]!);
    expect(d.t[d.t.length - 1]).toBe(20);
    expect(d.columns[0]!.length).toBe(d.t.length);
  });
});
