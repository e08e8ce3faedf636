import { describe, expect, it, vi } from "vitest";
import { OrderedInbox, canInflate, inflateRaw, type InflateFailure } from "../src/inflate";
import { classify } from "../src/protocol";

async function deflateRaw(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return await new Response(stream).arrayBuffer();
}

function collect(): { inbox: OrderedInbox; got: (string | InflateFailure)[] } {
  const got: (string | InflateFailure)[] = [];
  return { inbox: new OrderedInbox((d) => got.push(d)), got };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("deflate-raw inbox", () => {
  it("this runtime can inflate deflate-raw", () => {
    expect(canInflate()).toBe(true);
  });

  it("inflates a binary message to its JSON text, non-ASCII included", async () => {
    const text = JSON.stringify({ type: "diagnostics", seq: 1, note: "température 42 °C ✓" });
    expect(await inflateRaw(await deflateRaw(text))).toBe(text);
  });

  it("inflates a message's bytes without a Blob (a round trip through Chromium's browser process each)", async () => {
    const text = JSON.stringify({ type: "diagnostics", seq: 2 });
    const bytes = await deflateRaw(text);
    const blobStream = vi.spyOn(Blob.prototype, "stream");
    try {
      expect(await inflateRaw(bytes)).toBe(text);
      expect(await inflateRaw(new Uint8Array(bytes))).toBe(text);
      expect(blobStream).not.toHaveBeenCalled();
    } finally {
      blobStream.mockRestore();
    }
  });

  it("delivers text at once when nothing waits before it", () => {
    const { inbox, got } = collect();
    inbox.push('{"type":"hello"}');
    expect(got).toEqual(['{"type":"hello"}']);
  });

  it("keeps arrival order across binary and text messages", async () => {
    const { inbox, got } = collect();
    const big = await deflateRaw("x".repeat(200000));
    const small = await deflateRaw("b");
    inbox.push("a0");
    inbox.push(big); // slower to inflate than the ones after it
    inbox.push(small);
    inbox.push("c"); // text behind binary waits its turn
    expect(got).toEqual(["a0"]);
    await settle();
    expect(got).toEqual(["a0", "x".repeat(200000), "b", "c"]);
    expect(inbox.counts).toMatchObject({ text: 2, binary: 2, failed: 0 });
  });

  it("a binary message that does not inflate is delivered as a failure, in order, and classify calls it malformed", async () => {
    const { inbox, got } = collect();
    inbox.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]).buffer);
    inbox.push("after");
    await settle();
    expect(got).toHaveLength(2);
    expect(got[1]).toBe("after");
    const c = classify(got[0]);
    expect(c.kind).toBe("malformed");
    expect(c.kind === "malformed" && c.reason).toMatch(/does not inflate/);
    expect(inbox.counts.failed).toBe(1);
  });

  it("delivers nothing after close, even what was still inflating", async () => {
    const { inbox, got } = collect();
    inbox.push(await deflateRaw("late"));
    inbox.close();
    await settle();
    expect(got).toEqual([]);
  });

  it("an inflated diagnostics message validates like a text one", async () => {
    const text = JSON.stringify({
      type: "diagnostics", seq: 3, topic: "/diagnostics", stamp: 1764200002.0,
      statuses: [{ name: "a: b", level: 0, message: "OK", hardware_id: "h", values: { "x %": "1.5" } }],
    });
    const { inbox, got } = collect();
    inbox.push(await deflateRaw(text));
    await settle();
    const c = classify(got[0]);
    expect(c.kind).toBe("ok");
  });
});
