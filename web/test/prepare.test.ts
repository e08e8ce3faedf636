import { describe, expect, it } from "vitest";
import { ParseQueue, WORKER_MIN_CHARS, type WorkerLike } from "../src/parse-queue";
import { WORKER_READY, prepare, restore, statusNumbers, transferables } from "../src/prepare";
import { classify, type Classified, type Status } from "../src/protocol";
import { StatusHistory } from "../src/ring";
import { Store, numericValues } from "../src/store";

const status = (name: string, values: Record<string, string>, level = 0): Status => ({
  name, level, message: "m", hardware_id: "robot-1", values,
});
const text = (seq: number, statuses: unknown[], pad = 0) =>
  JSON.stringify({ type: "diagnostics", seq, topic: "/diagnostics", stamp: 1000 + seq, statuses, pad: "x".repeat(pad) });

// Keys in an order JSON.parse changes (integer-like first), numbers and not, a rule-breaking "0x1F".
const odd = status("a: b", { "z key": "1.5", "2": "7", "1": "n/a", hex: "0x1F", e: "-3e2", blank: "" });

describe("prepare and restore (the parse worker's round trip)", () => {
  it("gives back what classify gives, numbers read as numericValues reads them", () => {
    const raw = text(5, [odd, { name: "bad" }, status("c: d", { v: "2" })]);
    const { c, numbers } = restore(structuredClone(prepare(raw)));
    expect(c).toEqual(classify(raw));
    if (c.kind !== "ok" || c.msg.type !== "diagnostics" || numbers === undefined) throw new Error("not diagnostics");
    expect(c.rejected).toBe(1);
    c.msg.statuses.forEach((s, i) => {
      const mine = new Map<string, number>();
      let at = numbers.offsets[i] as number;
      for (const key in s.values) {
        const v = numbers.numbers[at++] as number;
        if (!Number.isNaN(v)) mine.set(key, v);
      }
      expect(at).toBe(numbers.offsets[i + 1]);
      expect(mine).toEqual(numericValues(s.values ?? {}));
    });
  });

  it("leaves out the fields zod leaves out", () => {
    const raw = text(1, [{ ...odd, extra: "not in the schema" }]);
    const { c } = restore(prepare(raw));
    expect(JSON.stringify(c)).not.toContain("not in the schema");
  });

  it("passes every other message as classify classifies it, and transfers nothing for it", () => {
    for (const raw of ["{not json", JSON.stringify({ type: "x" }), JSON.stringify({ type: "diagnostics", seq: "x" })]) {
      const p = prepare(raw);
      expect(restore(p).c).toEqual(classify(raw));
      expect(transferables(p)).toEqual([]);
    }
  });

  it("a status without values has no numbers", () => {
    const n = statusNumbers([{ ...odd, values: undefined } as unknown as Status, status("x", { k: "1" })]);
    expect([...n.offsets]).toEqual([0, 0, 1]);
  });
});

describe("StatusHistory.pushAligned", () => {
  it("stores the same sample as push with numericValues", () => {
    const values = odd.values;
    const { numbers } = statusNumbers([odd]);
    const a = new StatusHistory(60);
    const b = new StatusHistory(60);
    a.push(10, 1, numericValues(values));
    b.pushAligned(10, 1, JSON.parse(JSON.stringify(values)) as Record<string, string>, numbers, 0);
    expect(b.keys().sort()).toEqual(a.keys().sort());
    for (const k of a.keys()) expect(b.valueAt(k, 0)).toBe(a.valueAt(k, 0));
    expect(b.levelAt(0)).toBe(1);
    expect(b.pushAligned(10, 0, {}, numbers, 0)).toBe(false); // not newer: refused, as push refuses
  });

  it("the store applies prepared numbers as it applies its own", () => {
    const raw = text(2, [odd, status("c: d", { v: "2", w: "x" })]);
    const plain = new Store();
    const fast = new Store();
    const c = classify(raw);
    if (c.kind !== "ok" || c.msg.type !== "diagnostics") throw new Error("not diagnostics");
    plain.applyDiagnostics(c.msg, 0);
    const r = restore(prepare(raw));
    if (r.c.kind !== "ok" || r.c.msg.type !== "diagnostics") throw new Error("not diagnostics");
    fast.applyDiagnostics(r.c.msg, 0, r.numbers);
    for (const [key, e] of plain.entries) {
      const f = fast.entries.get(key);
      expect(f?.history.keys().sort()).toEqual(e.history.keys().sort());
      for (const k of e.history.keys()) expect(f?.history.valueAt(k, 0)).toBe(e.history.valueAt(k, 0));
    }
  });
});

/** A worker that answers when told to (tests decide the timing), as parse-worker.ts answers. */
class FakeWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  readonly inbox: unknown[] = [];
  terminated = false;
  postMessage(message: unknown): void {
    this.inbox.push(message);
  }
  answer(n = this.inbox.length): void {
    for (const data of this.inbox.splice(0, n)) this.onmessage?.({ data: structuredClone(prepare(data)) } as MessageEvent);
  }
  terminate(): void {
    this.terminated = true;
  }
  /** The worker's first message: loaded. */
  ready(): this {
    this.onmessage?.({ data: WORKER_READY } as MessageEvent);
    return this;
  }
}

function seqs(delivered: Classified[]): (number | string)[] {
  return delivered.map((c) => (c.kind === "ok" && "seq" in c.msg ? c.msg.seq : c.kind));
}

describe("ParseQueue", () => {
  const big = (seq: number) => text(seq, [status("a: b", { v: String(seq) })], WORKER_MIN_CHARS);
  const small = (seq: number) => text(seq, [status("a: b", { v: String(seq) })]);

  it("parses a small message at once, sends a large one to the worker, and keeps arrival order", () => {
    const w = new FakeWorker();
    const got: Classified[] = [];
    const q = new ParseQueue((c) => got.push(c), () => w);
    w.ready();
    q.push(small(1));
    expect(seqs(got)).toEqual([1]);
    q.push(big(2));
    q.push(small(3)); // behind a large one: waits for it
    expect(seqs(got)).toEqual([1]);
    expect(q.waiting).toBe(2);
    w.answer(1);
    expect(seqs(got)).toEqual([1, 2]);
    w.answer();
    expect(seqs(got)).toEqual([1, 2, 3]);
    expect(q.waiting).toBe(0);
  });

  it("hands the store the worker's numbers", () => {
    const w = new FakeWorker();
    const numbers: unknown[] = [];
    const q = new ParseQueue((_c, n) => numbers.push(n), () => w);
    w.ready();
    q.push(big(1));
    w.answer();
    expect(numbers[0]).toBeDefined();
  });

  it("when the worker fails, parses what it had not answered here, in order, and all that follows", () => {
    const w = new FakeWorker();
    const got: Classified[] = [];
    const q = new ParseQueue((c) => got.push(c), () => w);
    w.ready();
    q.push(big(1));
    q.push(big(2));
    q.push(small(3));
    w.answer(1);
    w.onerror?.({} as ErrorEvent);
    expect(seqs(got)).toEqual([1, 2, 3]);
    expect(w.terminated).toBe(true);
    expect(q.usingWorker).toBe(false);
    q.push(big(4));
    expect(seqs(got)).toEqual([1, 2, 3, 4]);
  });

  it("until the worker has loaded, parses everything here (the first snapshot does not wait for it)", () => {
    const w = new FakeWorker();
    const got: Classified[] = [];
    const q = new ParseQueue((c) => got.push(c), () => w);
    q.push(big(1));
    expect(seqs(got)).toEqual([1]);
    expect(w.inbox).toEqual([]);
    w.ready();
    q.push(big(2));
    expect(w.inbox.length).toBe(1);
  });

  it("without a worker (none can be made) parses everything here", () => {
    const got: Classified[] = [];
    const q = new ParseQueue((c) => got.push(c), () => {
      throw new Error("no Worker");
    });
    q.push(big(1));
    expect(seqs(got)).toEqual([1]);
  });

  it("after dispose delivers nothing, not even what the worker still answers", () => {
    const w = new FakeWorker();
    const got: Classified[] = [];
    const q = new ParseQueue((c) => got.push(c), () => w);
    w.ready();
    q.push(big(1));
    q.dispose();
    w.answer();
    q.push(small(2));
    expect(got).toEqual([]);
    expect(w.terminated).toBe(true);
  });
});
