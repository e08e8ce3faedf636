import { describe, expect, it } from "vitest";
import { groupRows } from "../src/row-groups";

const detail = (r: string) => r.endsWith("+");
const heads = (groups: string[][]) => new Set(groups.map((g) => g[0] as string));
const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `r${String(from + i).padStart(4, "0")}`);

describe("groupRows", () => {
  it("cuts a new list into groups of max rows, a values row staying with its status", () => {
    const list = ["a", "a+", "b", "b+", "c", "d", "d+", "e"];
    expect(groupRows(list, new Set(), 2, detail)).toEqual([["a", "a+", "b", "b+"], ["c", "d", "d+"], ["e"]]);
  });

  it("moves no row of another group when rows are inserted or removed", () => {
    const before = rows(200);
    const first = groupRows(before, new Set(), 50, detail);
    expect(first.map((g) => g.length)).toEqual([50, 50, 50, 50]);
    // 32 rows inserted near the top (names sorting before the rest), and one removed further down.
    const after = [...before.slice(0, 3), ...rows(32, 5000), ...before.slice(3).filter((r) => r !== "r0120")];
    const second = groupRows(after, heads(first), 50, detail);
    const groupOf = (groups: string[][]) => new Map(groups.flatMap((g) => g.map((r) => [r, g[0]] as const)));
    const was = groupOf(first);
    const now = groupOf(second);
    // Every row after the first group keeps its group; the first group grew and was split at 50.
    for (const r of before.slice(50)) if (r !== "r0120") expect(now.get(r)).toBe(was.get(r));
    expect(second.map((g) => g.length)).toEqual([50, 32, 50, 49, 50]);
  });

  it("cuts afresh by position once insertions have left many more groups than the rows need", () => {
    // Groups of one row each (as if every row had started one): 100 rows need 2 groups of 50.
    const list = rows(100);
    expect(groupRows(list, new Set(list), 50, detail).map((g) => g.length)).toEqual([50, 50]);
    // A few more than needed are kept (no move): 100 rows in 4 groups started before.
    const starts = new Set([list[0] as string, list[25] as string, list[50] as string, list[75] as string]);
    expect(groupRows(list, starts, 50, detail).length).toBe(4);
  });

  it("no rows, no groups", () => {
    expect(groupRows([], new Set(), 50, detail)).toEqual([]);
  });
});
