import { describe, expect, it } from "vitest";
import { classify, configSchema, signalSchema } from "../src/protocol";

const hello = { type: "hello", protocol: 1, hostname: "robot-1", version: "0.1.0", topics: ["/diagnostics"], history_seconds: 3600, seq: 41 };
const status = { name: "system_metrics: CPU", level: 0, message: "OK", hardware_id: "robot-1", values: { "usage %": "12.50" } };
const diagnostics = { type: "diagnostics", seq: 42, topic: "/diagnostics", stamp: 1764200002.0, statuses: [status] };
const snapshot = {
  type: "snapshot", part: 0, parts: 1,
  statuses: [{ name: "system_metrics: CPU", hardware_id: "robot-1", latest: status, t: [1, 2], level: [0, 0], values: { "usage %": [12.5, 13], "load 1 min": [0.2, null] } }],
};
const j = (x: unknown) => JSON.stringify(x);

describe("classify", () => {
  it("accepts the protocol's examples", () => {
    for (const msg of [hello, diagnostics, snapshot]) {
      const c = classify(j(msg));
      expect(c.kind).toBe("ok");
      if (c.kind === "ok") expect(c.msg.type).toBe(msg.type);
    }
  });

  it("ignores fields it does not know", () => {
    expect(classify(j({ ...hello, future: true })).kind).toBe("ok");
  });

  it("counts unknown types as unknown, not malformed", () => {
    expect(classify(j({ type: "pong", x: 1 }))).toEqual({ kind: "unknown", type: "pong" });
  });

  it.each([
    ["not JSON", "{nope"],
    ["not an object", "[1,2]"],
    ["null", "null"],
    ["no type", j({ seq: 1 })],
    ["numeric type", j({ type: 3 })],
    ["seq not integer", j({ ...diagnostics, seq: 1.5 })],
    ["hello without hostname", j({ ...hello, hostname: undefined })],
    ["snapshot part >= parts", j({ ...snapshot, part: 1 })],
  ])("marks %s as malformed", (_why, text) => {
    const c = classify(text);
    expect(c.kind).toBe("malformed");
    if (c.kind === "malformed") expect(c.reason.length).toBeGreaterThan(0);
  });

  // Issue 8 item 3: one bad status used to make the page refuse the whole array.
  it.each([
    ["level out of range", { ...status, level: 200 }],
    ["level as bytes string", { ...status, level: "\u0000" }],
    ["non-string value", { ...status, values: { a: 1 } }],
    ["missing hardware_id", { name: "x", level: 0, message: "", values: {} }],
  ])("leaves out a status with %s and keeps the others", (_why, bad) => {
    const good2 = { ...status, name: "other" };
    const c = classify(j({ ...diagnostics, statuses: [status, bad, good2] }));
    expect(c.kind).toBe("ok");
    if (c.kind !== "ok" || c.msg.type !== "diagnostics") return;
    expect(c.msg.statuses.map((s) => s.name)).toEqual([status.name, "other"]);
    expect(c.rejected).toBe(1);
    expect(c.reason).toMatch(/^diagnostics: statuses\.1\./);
  });

  it.each([
    ["column length mismatch", { ...snapshot.statuses[0], level: [0] }],
    ["value column mismatch", { ...snapshot.statuses[0], values: { a: [1] } }],
  ])("leaves out a snapshot status with %s and keeps the others", (_why, bad) => {
    const c = classify(j({ ...snapshot, statuses: [bad, { ...snapshot.statuses[0], name: "ok" }] }));
    expect(c.kind).toBe("ok");
    if (c.kind !== "ok" || c.msg.type !== "snapshot") return;
    expect(c.msg.statuses.map((s) => s.name)).toEqual(["ok"]);
    expect(c.rejected).toBe(1);
  });

  it("accepts the version-2 fields: capabilities, history_seconds 0, raw_level, truncated", () => {
    expect(classify(j({ ...hello, protocol: 2, capabilities: ["raw_level"], history_seconds: 0 })).kind).toBe("ok");
    const c = classify(j({ ...diagnostics, statuses: [{ ...status, level: 2, raw_level: 200, truncated: true }] }));
    expect(c.kind === "ok" && c.rejected === 0).toBe(true);
  });

  it("treats binary data as malformed", () => {
    expect(classify(new ArrayBuffer(4)).kind).toBe("malformed");
  });
});

describe("signaling and config", () => {
  it("parses answer and error, refuses others", () => {
    expect(signalSchema.safeParse({ type: "answer", sdp: "v=0" }).success).toBe(true);
    expect(signalSchema.safeParse({ type: "error", message: "unauthorized" }).success).toBe(true);
    expect(signalSchema.safeParse({ type: "answer" }).success).toBe(false);
  });

  it("parses /config with string and list urls", () => {
    const ok = configSchema.safeParse({ protocol: 1, iceServers: [{ urls: "stun:a:3478" }, { urls: ["turn:b"], username: "u", credential: "c" }] });
    expect(ok.success).toBe(true);
    expect(configSchema.safeParse({ protocol: 1 }).success).toBe(false);
  });
});

describe("interest_ok (capability interest)", () => {
  it("keeps the valid statuses of `latest` and counts the bad one", () => {
    const good = { name: "a", level: 0, message: "OK", hardware_id: "h", values: { v: "1" } };
    const c = classify(JSON.stringify({ type: "interest_ok", id: 3, statuses: 2, latest: [good, { ...good, values: undefined, level: 9 }] }));
    expect(c.kind).toBe("ok");
    if (c.kind !== "ok" || c.msg.type !== "interest_ok") throw new Error("not ok");
    expect(c.msg.latest).toEqual([good]);
    expect(c.rejected).toBe(1);
    expect(classify(JSON.stringify({ type: "interest_ok", id: 3, statuses: 2 })).kind).toBe("malformed");
  });
  it("a live status may come without values; nowhere else", () => {
    const lean = { name: "a", level: 1, message: "m", hardware_id: "h" };
    const live = classify(JSON.stringify({ type: "diagnostics", seq: 1, topic: "/d", stamp: 1, statuses: [lean] }));
    expect(live.kind === "ok" && live.rejected === 0).toBe(true);
    const snap = classify(JSON.stringify({ type: "snapshot", part: 0, parts: 1, statuses: [{ name: "a", hardware_id: "h", latest: lean, t: [], level: [], values: {} }] }));
    expect(snap.kind === "ok" && snap.rejected === 1).toBe(true);
  });
});
