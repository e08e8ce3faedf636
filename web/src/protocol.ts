// Wire protocol v1 (docs/protocol.md) as zod schemas. Every message from the bridge passes
// through `classify`, which never throws: a message is either valid, of a type this page does not
// know (counted and ignored), or malformed (counted and shown).
import { z } from "zod";

export const PROTOCOL_VERSION = 1;

const level = z.number().int().min(0).max(3);

export const statusSchema = z.object({
  name: z.string(),
  level,
  message: z.string(),
  hardware_id: z.string(),
  values: z.record(z.string(), z.string()),
});
export type Status = z.infer<typeof statusSchema>;

/**
 * A status value (a KeyValue string) read as a number: undefined unless it parses as a finite
 * number. Blank text is no number (Number("") would be 0).
 */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

export const helloSchema = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  hostname: z.string(),
  version: z.string(),
  topics: z.array(z.string()),
  history_seconds: z.number().positive(),
  seq: z.number().int().min(0),
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

export const snapshotSchema = z
  .object({
    type: z.literal("snapshot"),
    part: z.number().int().min(0),
    parts: z.number().int().min(1),
    statuses: z.array(snapshotStatusSchema),
  })
  .refine((s) => s.part < s.parts, { message: "part must be below parts" });
export type Snapshot = z.infer<typeof snapshotSchema>;

export const diagnosticsSchema = z.object({
  type: z.literal("diagnostics"),
  seq: z.number().int().min(0),
  topic: z.string(),
  stamp: z.number(),
  statuses: z.array(statusSchema),
});
export type Diagnostics = z.infer<typeof diagnosticsSchema>;

export type DataMessage = Hello | Snapshot | Diagnostics;

const dataSchemas = {
  hello: helloSchema,
  snapshot: snapshotSchema,
  diagnostics: diagnosticsSchema,
} as const;

export type Classified =
  | { kind: "ok"; msg: DataMessage }
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
  if (!Object.hasOwn(dataSchemas, type)) return { kind: "unknown", type };
  const schema = dataSchemas[type as keyof typeof dataSchemas];
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { kind: "malformed", reason: `${type}: ${describe(parsed.error)}` };
  return { kind: "ok", msg: parsed.data };
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
