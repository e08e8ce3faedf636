// Hands the DataChannel's messages to the parse worker and the prepared results back to the page,
// in arrival order (pure: the worker is passed in). A small message with nothing waiting before it
// is parsed at once on this thread (a round trip would only delay it); a large one goes to the
// worker, and so does everything after it until the worker has answered (order is kept). Until the
// worker says it has loaded (its script and zod take a moment; the first snapshot should not wait
// for them), without a worker, or once it failed, everything is parsed here, as before the worker.
import { classify, type Classified } from "./protocol";
import { WORKER_READY, restore, type Prepared, type StatusNumbers } from "./prepare";

/** Messages at least this long go to the worker (a 50-status array is about 25 KB). */
export const WORKER_MIN_CHARS = 16_384;

export interface WorkerLike {
  postMessage(message: unknown): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
  terminate(): void;
}

export type Deliver = (c: Classified, numbers: StatusNumbers | undefined) => void;

export class ParseQueue {
  private worker: WorkerLike | undefined;
  /** Sent to the worker, not answered yet, oldest first. */
  private readonly pending: unknown[] = [];
  private disposed = false;
  /** The worker has loaded (its first message). */
  private ready = false;

  constructor(
    private readonly deliver: Deliver,
    makeWorker?: () => WorkerLike,
  ) {
    try {
      this.worker = makeWorker?.();
    } catch {
      this.worker = undefined; // no workers here (a CSP, an old browser): parse on this thread
    }
    const w = this.worker;
    if (w === undefined) return;
    w.onmessage = (ev) => {
      if (this.ready) this.answered(ev.data as Prepared);
      else this.ready = ev.data === WORKER_READY;
    };
    w.onerror = w.onmessageerror = () => this.fail();
  }

  /** True while a worker (loaded) parses the large messages. */
  get usingWorker(): boolean {
    return this.worker !== undefined && this.ready;
  }

  /** Messages sent to the worker and not delivered yet. */
  get waiting(): number {
    return this.pending.length;
  }

  push(data: unknown): void {
    if (this.disposed) return;
    const large = typeof data === "string" && data.length >= WORKER_MIN_CHARS;
    if (this.worker === undefined || !this.ready || (this.pending.length === 0 && !large)) {
      this.deliver(classify(data), undefined);
      return;
    }
    this.pending.push(data);
    this.worker.postMessage(data);
  }

  dispose(): void {
    this.disposed = true;
    this.pending.length = 0;
    this.worker?.terminate();
    this.worker = undefined;
  }

  private answered(p: Prepared): void {
    if (this.disposed || this.pending.shift() === undefined) return;
    const { c, numbers } = restore(p);
    this.deliver(c, numbers);
  }

  /** The worker broke: what it had not answered is parsed here, in order, and so is all that follows. */
  private fail(): void {
    const w = this.worker;
    if (w === undefined) return;
    w.onmessage = w.onerror = w.onmessageerror = null;
    w.terminate();
    this.worker = undefined;
    for (const data of this.pending.splice(0)) if (!this.disposed) this.deliver(classify(data), undefined);
  }
}
