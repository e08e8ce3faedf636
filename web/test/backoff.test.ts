import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/backoff";

describe("backoffDelay", () => {
  const opts = { baseMs: 500, maxMs: 5000, jitter: 0.2 };
  it("doubles up to the maximum", () => {
    const mid = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, mid))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });
  it("stays within the jitter band", () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(400);
    expect(backoffDelay(0, opts, () => 0.999999)).toBe(600);
  });
});
