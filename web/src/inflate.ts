// Capability "deflate-raw" (docs/protocol.md, "Compression"): the page lists it in its offer's
// `compression` when this browser can inflate it; the bridge then sends large messages as binary
// DataChannel messages, each the raw DEFLATE of one JSON text, compressed once for every peer.
// Inflating is asynchronous (DecompressionStream), so every message, text or binary, goes through
// one ordered inbox: each is delivered after all earlier ones, as the bridge sent them.

/** The encoding's name, in the offer's `compression` list and in `hello.capabilities`. */
export const DEFLATE_RAW = "deflate-raw";

/** True when this browser has DecompressionStream("deflate-raw") (Chromium 80+, Firefox 113+,
 * Safari 16.4+): only then does the page ask for compression, and a bridge never sends it unasked. */
export function canInflate(): boolean {
  if (typeof DecompressionStream !== "function") return false;
  try {
    new DecompressionStream(DEFLATE_RAW);
    return true;
  } catch {
    return false; // an older DecompressionStream without "deflate-raw"
  }
}

/** One binary message's JSON text. Rejects when it is not valid deflate-raw or not UTF-8.
 * The bytes are written straight into the DecompressionStream: through a Blob's stream(), as
 * before, each message cost a round trip through Chromium's browser process (its blob registry),
 * 2.5 ms instead of 0.5 for one message and ~25 ms for 25 pages' messages at once in one browser
 * (docs/benchmarks.md, "Where a live message's latency goes"). */
export async function inflateRaw(data: ArrayBuffer | ArrayBufferView | Blob): Promise<string> {
  const input =
    data instanceof Blob
      ? new Uint8Array(await data.arrayBuffer())
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  const stream = new DecompressionStream(DEFLATE_RAW);
  const writer = stream.writable.getWriter();
  // A bad input errors both sides: the reader's rejection below is the one reported.
  writer.write(input).catch(() => undefined);
  writer.close().catch(() => undefined);
  const bytes = new Uint8Array(await new Response(stream.readable).arrayBuffer());
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

export interface InboxCounts {
  text: number;
  binary: number;
  /** Bytes of the binary messages as received, and characters of their inflated texts. */
  binaryBytes: number;
  inflatedChars: number;
  /** Binary messages that did not inflate (delivered as a reason, never thrown). */
  failed: number;
}

/** What the inbox delivers for a binary message that does not inflate: classify calls it malformed. */
export interface InflateFailure {
  inflateError: string;
}

/**
 * Delivers DataChannel messages in arrival order, inflating binary ones. A text message with
 * nothing waiting before it is delivered at once (so a page on a bridge that sends only text has
 * no added delay); otherwise it waits for the binary ones before it. Binary messages are
 * inflated as soon as they arrive (concurrently) and delivered in order.
 */
export class OrderedInbox {
  readonly counts: InboxCounts = { text: 0, binary: 0, binaryBytes: 0, inflatedChars: 0, failed: 0 };
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private closed = false;

  constructor(private readonly deliver: (data: string | InflateFailure) => void) {}

  push(data: unknown): void {
    if (this.closed) return;
    if (typeof data === "string") {
      this.counts.text += 1;
      if (this.waiting === 0) {
        this.deliver(data);
        return;
      }
      this.enqueue(Promise.resolve(data));
      return;
    }
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) {
      this.counts.binary += 1;
      this.counts.binaryBytes += data instanceof Blob ? data.size : data.byteLength;
      const text = inflateRaw(data).then(
        (t) => {
          this.counts.inflatedChars += t.length;
          return t;
        },
        (e: unknown): InflateFailure => {
          this.counts.failed += 1;
          return { inflateError: `binary message does not inflate (deflate-raw): ${String(e)}` };
        },
      );
      this.enqueue(text);
      return;
    }
    this.enqueue(Promise.resolve({ inflateError: "neither text nor binary" }));
  }

  /** Nothing more is delivered (the attempt ended), including what is still inflating. */
  close(): void {
    this.closed = true;
  }

  private enqueue(item: Promise<string | InflateFailure>): void {
    this.waiting += 1;
    this.tail = this.tail
      .then(() => item)
      .then((value) => {
        this.waiting -= 1;
        if (!this.closed) this.deliver(value);
      });
  }
}
