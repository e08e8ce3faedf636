// Page → bridge requests on the DataChannel (protocol version 2): each carries an integer `id`,
// and the reply (`alert_ok`, or `error` with the same `id`) settles it. Pure apart from the send
// function and the clock it is given.

export interface Reply {
  ok: boolean;
  message: string;
  /** What an answer carries beyond ok (a `levels` request's whole log). */
  data?: unknown;
}

/** A request with no reply within this long has failed (the bridge answers at once). */
export const REQUEST_TIMEOUT_MS = 5000;

export class RequestClient {
  private nextId = 1;
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

  /** A reply from the bridge (`alert_ok` or `error` with an id). */
  reply(id: number, reply: Reply): void {
    this.settle(id, reply);
  }

  /** The link went down: nothing pending will be answered. */
  failAll(message: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, message });
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
