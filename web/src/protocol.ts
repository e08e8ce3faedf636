// Wire protocol v2 (docs/protocol.md) as zod schemas: the contract. test/contract exports them as
// JSON Schema and the bridge's real output is validated against them in pytest, so every field
// the bridge sends must be declared here. Every message from the bridge passes through
// `classify`, which never throws: a message is either valid, of a type this page does not know
// (counted and ignored), or malformed (counted and shown). Statuses are validated one by one: one
// bad status is counted and left out, and never costs the others in its message.
import { z } from "zod";

export const PROTOCOL_VERSION = 2;
/** The DataChannel subprotocol that asks the bridge for version 2 (empty: version 1). */
export const CHANNEL_PROTOCOL = "chedweb.v2";

const level = z.number().int().min(0).max(3);

export const statusSchema = z.object({
  name: z.string(),
  level,
  message: z.string(),
  hardware_id: z.string(),
  values: z.record(z.string(), z.string()),
  /** v2: the publisher's level when it was outside 0..3 (`level` is then 2, ERROR). */
  raw_level: z.number().int().optional(),
  /** v2: the status was too large for one message and was cut (docs/protocol.md, "Size"). */
  truncated: z.literal(true).optional(),
});
export type Status = z.infer<typeof statusSchema>;

/**
 * A status in a live `diagnostics` message. v2, capability "interest": a page that declared its
 * interest gets `values` only for the statuses some page asked for; the others come without
 * (docs/protocol.md, "Interest"). Nowhere else may a status lack its values.
 */
export const liveStatusSchema = statusSchema.extend({ values: statusSchema.shape.values.optional() });
export type LiveStatus = z.infer<typeof liveStatusSchema>;

/**
 * The numeric-string rule (docs/protocol.md, "Numbers"), identical to the bridge's
 * codec.NUMBER_PATTERN: plain decimal with optional sign, fraction and exponent, optional spaces
 * or tabs around it; no hex, binary or octal, no underscores, no Infinity/NaN. Number() alone
 * would take "0x1F" and "" (as 0), which Python's float() refuses, and float() takes "1_000".
 */
const NUMBER = /^[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$/;

/** A status value (a KeyValue string) read as a number: undefined unless the rule says it is one. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || !NUMBER.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

export const helloSchema = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  hostname: z.string(),
  version: z.string(),
  topics: z.array(z.string()),
  /** 0: the bridge keeps no history (its parameter allows it); the page then keeps its own window. */
  history_seconds: z.number().min(0),
  seq: z.number().int().min(0),
  /** v2: the features this bridge offers (docs/protocol.md, "Capabilities"); absent from a v1 bridge. */
  capabilities: z.array(z.string()).optional(),
  /** v2, capability "stale": seconds without an update after which a status is STALE. */
  stale_seconds: z.number().positive().optional(),
});
export type Hello = z.infer<typeof helloSchema>;

export const snapshotStatusSchema = z
  .object({
    name: z.string(),
    hardware_id: z.string(),
    latest: statusSchema.optional(),
    t: z.array(z.number()),
    level: z.array(level),
    values: z.record(z.string(), z.array(z.number().nullable())),
  })
  .superRefine((s, ctx) => {
    if (s.level.length !== s.t.length) {
      ctx.addIssue({ code: "custom", message: `level has ${s.level.length} entries, t has ${s.t.length}` });
    }
    for (const [key, col] of Object.entries(s.values)) {
      if (col.length !== s.t.length) {
        ctx.addIssue({ code: "custom", message: `values["${key}"] has ${col.length} entries, t has ${s.t.length}` });
      }
    }
  });
export type SnapshotStatus = z.infer<typeof snapshotStatusSchema>;

const snapshotFields = {
  type: z.literal("snapshot"),
  part: z.number().int().min(0),
  parts: z.number().int().min(1),
};
const partBelowParts = (s: { part: number; parts: number }) => s.part < s.parts;
export const snapshotSchema = z
  .object({ ...snapshotFields, statuses: z.array(snapshotStatusSchema) })
  .refine(partBelowParts, { message: "part must be below parts" });
export type Snapshot = z.infer<typeof snapshotSchema>;

const diagnosticsFields = {
  type: z.literal("diagnostics"),
  seq: z.number().int().min(0),
  topic: z.string(),
  stamp: z.number(),
};
export const diagnosticsSchema = z.object({ ...diagnosticsFields, statuses: z.array(liveStatusSchema) });
export type Diagnostics = z.infer<typeof diagnosticsSchema>;

// Version 2, capability "alerts": the bridge's acknowledgements and mutes (docs/protocol.md).
const ackRecordSchema = z.object({ key: z.string(), level, by: z.string(), at: z.number() });
const muteRecordSchema = z.object({ key: z.string(), until: z.number(), by: z.string(), at: z.number() });
export const alertStateSchema = z.object({
  type: z.literal("alert_state"),
  now: z.number(),
  acks: z.array(ackRecordSchema),
  mutes: z.array(muteRecordSchema),
});
export type AlertState = z.infer<typeof alertStateSchema>;
export const alertOkSchema = z.object({ type: z.literal("alert_ok"), id: z.number().int() });
/** The reply to a bad request: its `id`, and why. */
export const requestErrorSchema = z.object({ type: z.literal("error"), id: z.number().int(), message: z.string() });

// Version 2, capability "interest": the statuses whose values the page shows, and the reply.
export const MAX_INTEREST_STATUSES = 1024;
export const interestRequestSchema = z.object({
  type: z.literal("interest"),
  id: z.number().int().min(0),
  statuses: z.array(z.object({ hardware_id: z.string().max(1024), name: z.string().max(1024) })).max(MAX_INTEREST_STATUSES),
});
export type InterestRequest = z.infer<typeof interestRequestSchema>;
/** The reply: how many statuses were taken, and the last full status the bridge holds of those new to the interest. */
export const interestOkSchema = z.object({
  type: z.literal("interest_ok"),
  id: z.number().int(),
  statuses: z.number().int().min(0),
  latest: z.array(statusSchema),
});

// Page -> bridge requests (capability "alerts"); `token` is the page's ?token= where the bridge has one.
const requestBase = { id: z.number().int().min(0), key: z.string().min(1).max(512), by: z.string().min(1).max(64), token: z.string().optional() };
export const alertAckRequestSchema = z.object({ type: z.literal("alert_ack"), level, ...requestBase });
export const alertMuteRequestSchema = z.object({ type: z.literal("alert_mute"), seconds: z.number().int().min(1).max(86400), ...requestBase });
export const alertUnmuteRequestSchema = z.object({ type: z.literal("alert_unmute"), ...requestBase });

// Version 2, capability "query": a range of the bridge's durable history, asked for with an id
// and answered with `range` parts (docs/protocol.md, "Range queries").
export const queryRequestSchema = z.object({
  type: z.literal("query"),
  id: z.number().int().min(0),
  hardware_id: z.string(),
  name: z.string(),
  from: z.number(),
  to: z.number(),
  points: z.number().int().min(1).max(5000),
  keys: z.array(z.string()).max(256).optional(),
});
const rangePoints = z.array(z.number().nullable());
export const rangeSchema = z
  .object({
    type: z.literal("range"),
    id: z.number().int(),
    part: z.number().int().min(0),
    parts: z.number().int().min(1),
    hardware_id: z.string(),
    name: z.string(),
    tier: z.enum(["raw", "minute", "hour"]),
    t0: z.number(),
    step: z.number().positive(),
    points: z.number().int().min(1),
    /** Point j of this part is point start + j of the range; null where it holds no data (a gap). */
    start: z.number().int().min(0),
    level: z.array(z.number().int().nullable()),
    values: z.record(z.string(), z.object({ min: rangePoints, avg: rangePoints, max: rangePoints })),
  })
  .refine(partBelowParts, { message: "part must be below parts" });
export type Range = z.infer<typeof rangeSchema>;

// Version 2, capability "levels": a status's level transitions over a range, from the bridge's
// durable history, asked for with an id and answered with `levels` parts (docs/protocol.md, "Level log").
export const levelsRequestSchema = z.object({
  type: z.literal("levels"),
  id: z.number().int().min(0),
  hardware_id: z.string(),
  name: z.string(),
  from: z.number(),
  to: z.number(),
});
export const levelChangeSchema = z.object({
  t: z.number(),
  /** null: the first level the store kept for this status. */
  old: level.nullable(),
  new: level,
  message: z.string(),
});
export type LevelChange = z.infer<typeof levelChangeSchema>;
export const levelsSchema = z
  .object({
    type: z.literal("levels"),
    id: z.number().int(),
    part: z.number().int().min(0),
    parts: z.number().int().min(1),
    hardware_id: z.string(),
    name: z.string(),
    from: z.number(),
    to: z.number(),
    /** The log held more transitions than one answer carries; the newest were left out. */
    truncated: z.boolean(),
    changes: z.array(levelChangeSchema),
  })
  .refine(partBelowParts, { message: "part must be below parts" });
export type Levels = z.infer<typeof levelsSchema>;

export type DataMessage =
  | Hello
  | Snapshot
  | Diagnostics
  | AlertState
  | z.infer<typeof alertOkSchema>
  | z.infer<typeof interestOkSchema>
  | z.infer<typeof requestErrorSchema>
  | Range
  | Levels;

/** Every DataChannel message the bridge sends, by type: what the contract test exports. */
export const wireSchemas = {
  hello: helloSchema,
  snapshot: snapshotSchema,
  diagnostics: diagnosticsSchema,
  alert_state: alertStateSchema,
  alert_ok: alertOkSchema,
  interest_ok: interestOkSchema,
  error: requestErrorSchema,
  range: rangeSchema,
  levels: levelsSchema,
} as const;

// What `classify` parses with: the same envelopes, statuses checked one by one afterwards.
const parseSchemas = {
  hello: helloSchema,
  alert_state: alertStateSchema,
  alert_ok: alertOkSchema,
  interest_ok: interestOkSchema.extend({ latest: z.array(z.unknown()) }),
  error: requestErrorSchema,
  range: rangeSchema,
  levels: levelsSchema,
  snapshot: z
    .object({ ...snapshotFields, statuses: z.array(z.unknown()) })
    .refine(partBelowParts, { message: "part must be below parts" }),
  diagnostics: z.object({ ...diagnosticsFields, statuses: z.array(z.unknown()) }),
} as const;

export type Classified =
  | { kind: "ok"; msg: DataMessage; rejected: number; reason: string }
  | { kind: "unknown"; type: string }
  | { kind: "malformed"; reason: string };

function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (first === undefined) return "invalid";
  const where = first.path.length > 0 ? first.path.join(".") + ": " : "";
  return where + first.message;
}

/** Parses and validates one DataChannel message. Never throws. */
export function classify(raw: unknown): Classified {
  if (typeof raw === "object" && raw !== null && "inflateError" in raw) {
    // A binary message (capability "deflate-raw") that did not inflate: connection.ts's inbox.
    return { kind: "malformed", reason: String(raw.inflateError) };
  }
  if (typeof raw !== "string") return { kind: "malformed", reason: "not a text message" };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { kind: "malformed", reason: "not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { kind: "malformed", reason: "not a JSON object" };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== "string") return { kind: "malformed", reason: "no string field 'type'" };
  if (!Object.hasOwn(parseSchemas, type)) return { kind: "unknown", type };
  const parsed = parseSchemas[type as keyof typeof parseSchemas].safeParse(data);
  if (!parsed.success) return { kind: "malformed", reason: `${type}: ${describe(parsed.error)}` };
  const msg = parsed.data;
  if (msg.type === "interest_ok") {
    const kept = eachValid(statusSchema, msg.latest, type);
    return { kind: "ok", msg: { ...msg, latest: kept.valid }, rejected: kept.rejected, reason: kept.reason };
  }
  if (msg.type !== "snapshot" && msg.type !== "diagnostics") return { kind: "ok", msg, rejected: 0, reason: "" };
  if (msg.type === "snapshot") {
    const kept = eachValid(snapshotStatusSchema, msg.statuses, type);
    return { kind: "ok", msg: { ...msg, statuses: kept.valid }, rejected: kept.rejected, reason: kept.reason };
  }
  const kept = eachValid(liveStatusSchema, msg.statuses, type);
  return { kind: "ok", msg: { ...msg, statuses: kept.valid }, rejected: kept.rejected, reason: kept.reason };
}

/** The statuses that pass `schema`, and how many did not (with the first one's reason). */
function eachValid<T>(
  schema: z.ZodType<T>,
  items: unknown[],
  type: string,
): { valid: T[]; rejected: number; reason: string } {
  const valid: T[] = [];
  let rejected = 0;
  let reason = "";
  items.forEach((item, i) => {
    const r = schema.safeParse(item);
    if (r.success) valid.push(r.data);
    else {
      if (rejected === 0) reason = `${type}: statuses.${i}.${describe(r.error)}`;
      rejected += 1;
    }
  });
  return { valid, rejected, reason };
}

// Signaling (/ws) messages from the bridge.
export const answerSchema = z.object({ type: z.literal("answer"), sdp: z.string() });
export const signalErrorSchema = z.object({ type: z.literal("error"), message: z.string() });
export const signalSchema = z.discriminatedUnion("type", [answerSchema, signalErrorSchema]);

// GET /config: ICE servers for the RTCPeerConnection.
const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export const configSchema = z.object({
  protocol: z.number().int(),
  iceServers: z.array(iceServerSchema),
});

/** GET /fleet: the bridge URLs of its `fleet` parameter, for fleet.html (docs/protocol.md, HTTP). */
export const fleetListSchema = z.object({ robots: z.array(z.string()) });
