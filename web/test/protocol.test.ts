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
    ["level out of range", j({ ...diagnostics, statuses: [{ ...status, level: 4 }] })],
    ["level as bytes string", j({ ...diagnostics, statuses: [{ ...status, level: "\u0000" }] })],
    ["non-string value", j({ ...diagnostics, statuses: [{ ...status, values: { a: 1 } }] })],
    ["missing hardware_id", j({ ...diagnostics, statuses: [{ name: "x", level: 0, message: "" , values: {} }] })],
    ["seq not integer", j({ ...diagnostics, seq: 1.5 })],
    ["hello without hostname", j({ ...hello, hostname: undefined })],
    ["snapshot part >= parts", j({ ...snapshot, part: 1 })],
    ["snapshot column length mismatch", j({ ...snapshot, statuses: [{ ...snapshot.statuses[0], level: [0] }] })],
    ["snapshot value column mismatch", j({ ...snapshot, statuses: [{ ...snapshot.statuses[0], values: { a: [1] } }] })],
  ])("marks %s as malformed", (_why, text) => {
    const c = classify(text);
    expect(c.kind).toBe("malformed");
    if (c.kind === "malformed") expect(c.reason.length).toBeGreaterThan(0);
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
