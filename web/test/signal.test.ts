import { describe, expect, it } from "vitest";
import { Signal, Version } from "../src/signal";

describe("Signal", () => {
  it("tells subscribers of a new value only", () => {
    const s = new Signal(1);
    const seen: number[] = [];
    const off = s.subscribe((v) => seen.push(v));
    s.set(1);
    s.set(2);
    s.notify();
    off();
    s.set(3);
    expect(seen).toEqual([2, 2]);
    expect(s.subscribers).toBe(0);
  });

  it("lets a listener unsubscribe while being called", () => {
    const s = new Signal(0);
    const seen: string[] = [];
    const offA = s.subscribe(() => {
      seen.push("a");
      offA();
    });
    s.subscribe(() => seen.push("b"));
    s.set(1);
    s.set(2);
    expect(seen).toEqual(["a", "b", "b"]);
  });

  it("Version counts bumps", () => {
    const v = new Version();
    let n = 0;
    v.subscribe(() => (n += 1));
    v.bump();
    v.bump();
    expect(v.value).toBe(2);
    expect(n).toBe(2);
  });
});
