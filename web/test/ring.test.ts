import { describe, expect, it } from "vitest";
import { StatusHistory } from "../src/ring";

describe("StatusHistory", () => {
  it("appends samples in time order and reads them back oldest first", () => {
    const h = new StatusHistory(3600);
    expect(h.push(10, 0, { a: 1 })).toBe(true);
    expect(h.push(11, 1, { a: 2, b: 5 })).toBe(true);
    expect(h.length).toBe(2);
    expect(h.timeAt(0)).toBe(10);
    expect(h.levelAt(1)).toBe(1);
    expect(h.valueAt("a", 1)).toBe(2);
    // A key that appears later is absent (NaN) in earlier samples.
    expect(Number.isNaN(h.valueAt("b", 0))).toBe(true);
    expect(h.keys().sort()).toEqual(["a", "b"]);
  });

  it("refuses samples not newer than the newest so time stays sorted", () => {
    const h = new StatusHistory(3600);
    h.push(10, 0, {});
    expect(h.push(10, 0, {})).toBe(false);
    expect(h.push(9, 0, {})).toBe(false);
    expect(h.push(Number.NaN, 0, {})).toBe(false);
    expect(h.length).toBe(1);
  });

  it("grows past its initial capacity keeping order and columns aligned", () => {
    const h = new StatusHistory(1e9);
    for (let i = 0; i < 1000; i++) h.push(i, i % 4, { v: i * 2, ...(i % 2 === 0 ? { even: i } : {}) });
    expect(h.length).toBe(1000);
    expect(h.capacity).toBeGreaterThanOrEqual(1000);
    for (const i of [0, 63, 64, 65, 500, 999]) {
      expect(h.timeAt(i)).toBe(i);
      expect(h.valueAt("v", i)).toBe(i * 2);
      expect(h.levelAt(i)).toBe(i % 4);
      expect(Number.isNaN(h.valueAt("even", i))).toBe(i % 2 === 1);
    }
  });

  it("drops samples that leave the time window", () => {
    const h = new StatusHistory(60);
    for (let t = 0; t <= 200; t++) h.push(t, 0, { v: t });
    expect(h.oldestT).toBe(140);
    expect(h.newestT).toBe(200);
    expect(h.length).toBe(61);
  });

  it("wraps around at the sample bound and copies windows across the wrap", () => {
    const h = new StatusHistory(1e9, 100);
    for (let t = 0; t < 250; t++) h.push(t, 0, { v: -t });
    expect(h.length).toBe(100);
    expect(h.oldestT).toBe(150);
    const from = h.lowerBound(200);
    expect(from).toBe(50);
    expect(Array.from(h.timesFrom(from))).toEqual(Array.from({ length: 50 }, (_, i) => 200 + i));
    expect(Array.from(h.valuesFrom("v", from))).toEqual(Array.from({ length: 50 }, (_, i) => -(200 + i)));
    expect(Array.from(h.valuesFrom("missing", from)).every(Number.isNaN)).toBe(true);
  });

  it("lowerBound finds the first sample at or after a time", () => {
    const h = new StatusHistory(1e9);
    for (const t of [1, 2.5, 4, 8]) h.push(t, 0, {});
    expect(h.lowerBound(0)).toBe(0);
    expect(h.lowerBound(2.5)).toBe(1);
    expect(h.lowerBound(3)).toBe(2);
    expect(h.lowerBound(9)).toBe(4);
  });
});
