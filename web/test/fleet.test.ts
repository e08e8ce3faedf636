import { describe, expect, it } from "vitest";
import {
  STORAGE_KEY,
  addressWithRobots,
  loadStored,
  mergeRobots,
  normaliseRobotUrl,
  robotLabel,
  robotsFromAddress,
  saveStored,
  selfRobot,
} from "../src/fleet/robots";
import { RobotSummary, SILENT_AFTER_MS, fleetInterest, tileModel } from "../src/fleet/summary";
import type { DataMessage, Status } from "../src/protocol";

const st = (name: string, level: number, hw = "r"): Status => ({ name, level, message: "", hardware_id: hw, values: {} });
const hello = (hostname: string): DataMessage => ({ type: "hello", protocol: 2, hostname, version: "0", topics: [],
  history_seconds: 0, seq: 0 });
const diag = (...statuses: Status[]): DataMessage => ({ type: "diagnostics", seq: 1, topic: "/diagnostics", stamp: 0,
  statuses });

describe("robot URLs", () => {
  it("normalises what a user types into a bridge page URL", () => {
    expect(normaliseRobotUrl("robot2.local:8080")).toBe("http://robot2.local:8080/");
    expect(normaliseRobotUrl(" https://r3.example.org/chedweb?token=a b#x ")).toBe(
      "https://r3.example.org/chedweb/?token=a%20b");
    expect(normaliseRobotUrl("http://198.18.0.1:8080/?token=t")).toBe("http://198.18.0.1:8080/?token=t");
  });

  it("refuses what is not an http(s) bridge URL", () => {
    for (const bad of ["", "   ", "ftp://r/", "javascript:alert(1)", "http://", "http://u:p@r/", "http://r:99999/"]) {
      expect(normaliseRobotUrl(bad), bad).toBeUndefined();
    }
  });

  it("merges lists in order, each robot once, dropping junk", () => {
    expect(mergeRobots(["a:1", "http://a:1/"], ["b:2", "nonsense url ::", "a:1"])).toEqual([
      "http://a:1/", "http://b:2/"]);
  });

  it("round-trips the list through the page address, other parameters kept", () => {
    const address = new URL("http://fleet:8080/fleet.html?token=t&robot=http%3A%2F%2Fold%3A1%2F");
    const shared = addressWithRobots(address, ["http://a:1/?token=x", "http://b:2/"]);
    expect(new URL(shared).searchParams.get("token")).toBe("t");
    expect(robotsFromAddress(new URL(shared))).toEqual(["http://a:1/?token=x", "http://b:2/"]);
  });

  it("stores the list, and survives a broken or foreign entry", () => {
    const mem = new Map<string, string>();
    const storage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) };
    saveStored(storage, ["http://a:1/"]);
    expect(loadStored(storage)).toEqual(["http://a:1/"]);
    mem.set(STORAGE_KEY, "{not json");
    expect(loadStored(storage)).toEqual([]);
    mem.set(STORAGE_KEY, JSON.stringify({ robots: 1 }));
    expect(loadStored(storage)).toEqual([]);
    mem.set(STORAGE_KEY, JSON.stringify(["http://a:1/", 5, "b:2"]));
    expect(loadStored(storage)).toEqual(["http://a:1/", "http://b:2/"]);
    const full = { setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(() => saveStored(full, ["http://a:1/"])).not.toThrow();
  });

  it("labels a robot by host and port, and finds the serving bridge with its token", () => {
    expect(robotLabel("http://robot2.local:8080/")).toBe("robot2.local:8080");
    expect(robotLabel("https://r.example.org/x/")).toBe("r.example.org");
    expect(selfRobot(new URL("http://a:8080/fleet.html?token=t&robot=x"))).toBe("http://a:8080/?token=t");
    expect(selfRobot(new URL("http://a:8080/sub/fleet.html"))).toBe("http://a:8080/sub/");
  });
});

describe("robot summary", () => {
  it("takes the worst level and counts alerts over the latest status of each name", () => {
    const s = new RobotSummary();
    expect(s.worstLevel).toBeUndefined();
    s.apply(hello("robot-a"), 0);
    s.apply(diag(st("cpu", 0), st("disk", 1)), 10);
    expect([s.hostname, s.worstLevel, s.alertCounts(10).open]).toEqual(["robot-a", 1, 1]);
    s.apply(diag(st("disk", 0)), 20); // the same status recovers: no alert left
    expect([s.worstLevel, s.alertCounts(20).open]).toEqual([0, 0]);
    s.apply(diag(st("cpu", 3), st("temp", 1), st("cpu", 1, "other-machine")), 30);
    expect([s.worstLevel, s.alertCounts(30).open, s.statusCount]).toEqual([3, 3, 4]);
    s.apply(diag(st("net", 2)), 40); // ERROR is worse than STALE
    expect(s.worstLevel).toBe(2);
  });

  it("leaves out alerts the bridge has acknowledged (at their level) or muted, as the robot's page does", () => {
    const s = new RobotSummary();
    s.apply(hello("r"), 0);
    s.apply(diag(st("cpu", 1), st("disk", 2), st("net", 1)), 1000);
    const key = (name: string) => `status:r\u0000${name}`;
    s.apply({ type: "alert_state", now: 1, acks: [{ key: key("cpu"), level: 1, by: "ops", at: 1 },
      { key: key("disk"), level: 1, by: "ops", at: 1 }],
    mutes: [{ key: key("net"), until: 61, by: "ops", at: 1 }] }, 1000);
    // cpu acknowledged at its level; disk's acknowledgement was for WARN, it is ERROR now; net muted.
    expect(s.alertCounts(2000)).toEqual({ open: 1, handled: 2 });
    expect(s.alertCounts(62_000)).toEqual({ open: 2, handled: 1 }); // the mute ran out
    expect(tileModel("http://a:1/", "a:1", s, "live", "", 2000)).toMatchObject({ alerts: 1, handled: 2 });
    s.apply(hello("r"), 3000); // a new session: its own alert_state follows
    s.apply(diag(st("cpu", 1)), 3000);
    expect(s.alertCounts(3000)).toEqual({ open: 1, handled: 0 });
  });

  it("reads a snapshot's latest statuses and starts over on a new hello", () => {
    const s = new RobotSummary();
    s.apply({ type: "snapshot", part: 0, parts: 1, statuses: [
      { name: "cpu", hardware_id: "r", latest: st("cpu", 1), t: [1], level: [1], values: {} },
      { name: "old", hardware_id: "r", t: [1], level: [0], values: {} },
    ] }, 5);
    expect([s.worstLevel, s.statusCount, s.lastMessageAt]).toEqual([1, 1, 5]);
    s.apply(hello("again"), 6);
    expect([s.worstLevel, s.statusCount]).toEqual([undefined, 0]);
  });

  it("makes a tile: online only while live and not silent, last seen in words", () => {
    const s = new RobotSummary();
    const never = tileModel("http://a:1/", "a:1", s, "connecting", "", 1000);
    expect(never).toMatchObject({ name: "a:1", level: "—", online: false, lastSeen: "never", detail: "connecting" });
    s.apply(hello("robot-a"), 1000);
    s.apply(diag(st("cpu", 2)), 1000);
    expect(tileModel("http://a:1/", "a:1", s, "live", "", 1500)).toMatchObject({
      name: "robot-a", level: "ERROR", online: true, lastSeen: "now", alerts: 1, detail: "" });
    const silent = tileModel("http://a:1/", "a:1", s, "live", "", 1000 + SILENT_AFTER_MS + 2000);
    expect(silent).toMatchObject({ online: false, lastSeen: "12 s ago", detail: "no data" });
    expect(tileModel("http://a:1/", "a:1", s, "reconnecting", "bridge went away", 4000)).toMatchObject({
      online: false, lastSeen: "3 s ago", detail: "bridge went away", level: "ERROR" });
  });
});

describe("fleet interest (capability interest)", () => {
  const part = (part: number, parts: number): DataMessage => ({ type: "snapshot", part, parts, statuses: [] });
  it("asks for no values once the snapshot is in, only from a bridge that offers it", () => {
    expect(fleetInterest(part(0, 2), ["interest"])).toBeUndefined();
    expect(JSON.parse(fleetInterest(part(1, 2), ["interest"]) ?? "null")).toEqual({ type: "interest", id: 1, statuses: [] });
    expect(fleetInterest(part(0, 1), ["alerts"])).toBeUndefined();
    const summary = new RobotSummary();
    summary.apply({ type: "hello", protocol: 2, hostname: "r", version: "1", topics: [], history_seconds: 1, seq: 0, capabilities: ["interest"] }, 0);
    expect(fleetInterest(part(0, 1), summary.capabilities)).toBeDefined();
    summary.apply({ type: "hello", protocol: 1, hostname: "r", version: "1", topics: [], history_seconds: 1, seq: 0 }, 0);
    expect(fleetInterest(part(0, 1), summary.capabilities)).toBeUndefined();
  });
});
