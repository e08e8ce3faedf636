// The DataChannel's parsing, validation and number reading, done where it does not cost a frame
// (parse-worker.ts), and handed to the page in a form that is cheap to take back (pure).
//
// At 1,000 statuses x 20 keys an array is about 0.45 MB of JSON in 8 parts: JSON.parse about 3 ms,
// zod per status about 5 ms and the numeric-string rule on 20,000 values about 8 ms a frame on the
// 2-vCPU VM (docs/benchmarks.md). The worker does all three. What it posts back is the validated
// message as JSON text plus the numbers as one Float64Array: structured-cloning 1,000 status
// objects costs the receiving thread more (about 4 ms) than JSON.parse of the same text (3 ms),
// and the numbers' array is transferred, not copied.
import { classify, parseNumber, type Classified, type Diagnostics, type LiveStatus } from "./protocol";

/**
 * A status's numeric values in its own key order (for..in over its `values`), NaN where a value is
 * not a number under the numeric-string rule; statuses one after another, `offsets[i]` where
 * status i starts (`offsets[statuses.length]` the end).
 */
export interface StatusNumbers {
  numbers: Float64Array;
  offsets: Uint32Array;
}

/** What the worker posts back: a classified message, the common diagnostics in their cheap form. */
export type Prepared =
  | { kind: "classified"; c: Classified }
  | { kind: "diagnostics"; text: string; rejected: number; reason: string; numbers: StatusNumbers };

/** The worker's first message: it has loaded and takes messages. */
export const WORKER_READY = "ready";

/** Reads every status's values under the numeric-string rule, in their key order. */
export function statusNumbers(statuses: readonly LiveStatus[]): StatusNumbers {
  let total = 0;
  for (const s of statuses) for (const _ in s.values ?? {}) total += 1;
  const numbers = new Float64Array(total);
  const offsets = new Uint32Array(statuses.length + 1);
  let at = 0;
  statuses.forEach((s, i) => {
    offsets[i] = at;
    const values = s.values ?? {};
    for (const key in values) numbers[at++] = parseNumber(values[key]) ?? Number.NaN;
  });
  offsets[statuses.length] = at;
  return { numbers, offsets };
}

/** Worker side: parse, validate (protocol.ts's classify, the one schema) and read the numbers. */
export function prepare(raw: unknown): Prepared {
  const c = classify(raw);
  if (c.kind !== "ok" || c.msg.type !== "diagnostics") return { kind: "classified", c };
  // The validated message (zod's output: unknown fields left out) is what the page gets back.
  return { kind: "diagnostics", text: JSON.stringify(c.msg), rejected: c.rejected, reason: c.reason, numbers: statusNumbers(c.msg.statuses) };
}

/** The buffers to transfer with a Prepared (moved, not copied). */
export function transferables(p: Prepared): ArrayBuffer[] {
  return p.kind === "diagnostics" ? [p.numbers.numbers.buffer as ArrayBuffer, p.numbers.offsets.buffer as ArrayBuffer] : [];
}

/** Page side: the classified message again, and for diagnostics their numbers. */
export function restore(p: Prepared): { c: Classified; numbers: StatusNumbers | undefined } {
  if (p.kind === "classified") return { c: p.c, numbers: undefined };
  // Validated in the worker, by the same schema: parsed here without validating again.
  const msg = JSON.parse(p.text) as Diagnostics;
  const ok = p.numbers.offsets.length === msg.statuses.length + 1;
  return { c: { kind: "ok", msg, rejected: p.rejected, reason: p.reason }, numbers: ok ? p.numbers : undefined };
}
