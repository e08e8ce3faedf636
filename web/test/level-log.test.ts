import { describe, expect, it } from "vitest";
import { LevelParts, levelLogCsv, segments, stripSummary } from "../src/level-log";
import type { Levels } from "../src/protocol";

function part(id: number, p: number, parts: number, changes: Levels["changes"], truncated = false): Levels {
  return { type: "levels", id, part: p, parts, hardware_id: "robot-1", name: "sm: CPU", from: 0, to: 100, truncated, changes };
}

describe("level log parts", () => {
  it("is complete only when every part came, in part order whatever the arrival", () => {
    const lp = new LevelParts();
    const a = { t: 10, old: null, new: 0, message: "a" };
    const b = { t: 20, old: 0, new: 2, message: "b" };
    expect(lp.accept(part(7, 1, 2, [b], true))).toBeUndefined();
    const log = lp.accept(part(7, 0, 2, [a]));
    expect(log?.changes).toEqual([a, b]);
    expect(log?.truncated).toBe(true);
    expect(lp.accept(part(8, 0, 1, []))?.changes).toEqual([]);
  });
});

describe("timeline strip", () => {
  it("covers the range: the first change's old level before it, each new level after", () => {
    const changes = [
      { t: 20, old: 0, new: 2, message: "" },
      { t: 50, old: 2, new: 0, message: "" },
    ];
    expect(segments(changes, 0, 100)).toEqual([
      { start: 0, end: 20, level: 0 },
      { start: 20, end: 50, level: 2 },
      { start: 50, end: 100, level: 0 },
    ]);
    expect(stripSummary(segments(changes, 0, 100))).toBe("OK 70%, ERROR 30%");
  });

  it("is unknown before the first level the store kept, and clipped to the range", () => {
    expect(segments([{ t: 40, old: null, new: 1, message: "" }], 0, 100)).toEqual([
      { start: 0, end: 40, level: undefined },
      { start: 40, end: 100, level: 1 },
    ]);
    expect(segments([], 0, 100)).toEqual([{ start: 0, end: 100, level: undefined }]);
    expect(segments([{ t: -5, old: 0, new: 3, message: "" }], 0, 10)).toEqual([{ start: 0, end: 10, level: 3 }]);
  });
});

describe("level log CSV", () => {
  it("writes one row per transition, text formula-safe", () => {
    const csv = levelLogCsv({
      hardwareId: "robot-1",
      name: "=cmd|' /C calc'!A0",
      from: 0,
      to: 100,
      truncated: false,
      changes: [
        { t: 1764200000, old: null, new: 0, message: "ok" },
        { t: 1764200010.5, old: 0, new: 2, message: "-1+1, \"hot\"" },
      ],
    });
    expect(csv.split("\r\n")).toEqual([
      "time_iso,time_unix,hardware_id,name,old_level,new_level,message",
      "2025-11-26T23:33:20.000Z,1764200000,robot-1,'=cmd|' /C calc'!A0,,OK,ok",
      `2025-11-26T23:33:30.500Z,1764200010.5,robot-1,'=cmd|' /C calc'!A0,OK,ERROR,"'-1+1, ""hot"""`,
      "",
    ]);
  });
});
