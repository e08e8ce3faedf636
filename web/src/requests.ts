// Page → bridge requests on the DataChannel (protocol version 2): each carries an integer `id`,
// and the reply (`alert_ok`, or `error` with the same `id`) settles it. Pure apart from the send
// function and the clock it is given.

import type { Range } from "./protocol";
import { RangeAssembler, type RangeResult } from "./range-data";

/** A range answer may come in many parts, paced by the link: it gets longer than a plain request. */
export const QUERY_TIMEOUT_MS = 15000;

export interface Reply {
  ok: boolean;
  message: string;
  /** What an answer carries beyond ok (a `levels` request's whole log). */
  data?: unknown;
}

/** A request with no reply within this long has failed (the bridge answers at once). */
export const REQUEST_TIMEOUT_MS = 5000;

export type QueryReply = { ok: true; result: RangeResult } | { ok: false; message: string };

export class RequestClient {
  private nextId = 1;
  private readonly queries = new Map<number, { asm: RangeAssembler; done: (r: QueryReply) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly pending = new Map<number, { done: (r: Reply) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly send: (text: string) => boolean) {}

  /** Sends `body` with a new id; resolves with the bridge's reply, a timeout, or "not connected". */
  request(body: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (!this.send(JSON.stringify({ ...body, id }))) {
        resolve({ ok: false, message: "not connected to the bridge" });
        return;
      }
      const timer = setTimeout(() => this.settle(id, { ok: false, message: "no reply from the bridge" }), REQUEST_TIMEOUT_MS);
      this.pending.set(id, { done: resolve, timer });
    });
  }

  /** Sends a `query` (capability `query`); resolves with the whole answer once every part came in. */
  query(body: Record<string, unknown>): Promise<QueryReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (!this.send(JSON.stringify({ ...body, id }))) {
        resolve({ ok: false, message: "not connected to the bridge" });
        return;
      }
      const timer = setTimeout(() => this.settleQuery(id, { ok: false, message: "no reply from the bridge" }), QUERY_TIMEOUT_MS);
      this.queries.set(id, { asm: new RangeAssembler(), done: resolve, timer });
    });
  }

  /** One `range` part of a query's answer. */
  rangePart(part: Range): void {
    const q = this.queries.get(part.id);
    const result = q?.asm.add(part);
    if (result !== undefined) this.settleQuery(part.id, { ok: true, result });
  }

  /** A reply from the bridge (`alert_ok` or `error` with an id). */
  reply(id: number, reply: Reply): void {
    this.settle(id, reply);
    if (!reply.ok) this.settleQuery(id, { ok: false, message: reply.message });
  }

  /** The link went down: nothing pending will be answered. */
  failAll(message: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, message });
    for (const id of [...this.queries.keys()]) this.settleQuery(id, { ok: false, message });
  }

  private settleQuery(id: number, reply: QueryReply): void {
    const q = this.queries.get(id);
    if (q === undefined) return;
    this.queries.delete(id);
    clearTimeout(q.timer);
    q.done(reply);
  }

  get outstanding(): number {
    return this.pending.size;
  }

  private settle(id: number, reply: Reply): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.done(reply);
  }
}
