// The link to the bridge: GET config (ICE servers), WebSocket /ws for signaling, one
// RTCPeerConnection with the DataChannel "chedweb". Reconnects with backoff when anything drops,
// except after a refusal that retrying cannot fix (wrong token, origin not allowed).
import { backoffDelay } from "./backoff";
import { CHANNEL_PROTOCOL, configSchema, signalSchema } from "./protocol";
import { DEFLATE_RAW, OrderedInbox, canInflate, type InboxCounts } from "./inflate";

export type LinkState = "disconnected" | "connecting" | "live" | "reconnecting" | "error";

export interface LinkEvents {
  state(state: LinkState, detail: string): void;
  message(data: unknown): void;
}

/** Refusals that the same request would get again: stop retrying and show them. */
const FATAL_REASONS = ["unauthorized", "origin not allowed"];

/** Give up on an attempt that has not gone live by then, and retry. */
const ATTEMPT_TIMEOUT_MS = 15000;

export function endpointUrls(page: URL): { ws: string; config: string; token: string | null } {
  const token = page.searchParams.get("token");
  // Relative to the page, so the bridge can also be served under a path prefix.
  const ws = new URL("ws", page);
  ws.protocol = page.protocol === "https:" ? "wss:" : "ws:";
  const config = new URL("config", page);
  ws.search = "";
  config.search = "";
  if (token !== null) {
    ws.searchParams.set("token", token);
    config.searchParams.set("token", token);
  }
  return { ws: ws.toString(), config: config.toString(), token };
}

class Refused extends Error {}

interface AttemptEvents {
  live(): void;
  message(data: unknown): void;
  /** The attempt is over (reported once); `fatal`: retrying cannot help. */
  failed(reason: string, fatal: boolean): void;
}

/**
 * One try at a live DataChannel: GET config, the /ws signaling socket, one RTCPeerConnection.
 * It reports its end once through `failed`; close() ends it silently (the Link moved on).
 */
class Attempt {
  private ws: WebSocket | undefined;
  private pc: RTCPeerConnection | undefined;
  private dc: RTCDataChannel | undefined;
  /** Candidates gathered before the offer went out: sent right after it. */
  private readonly queued: string[] = [];
  private offerSent = false;
  private refusal = "";
  private live = false;
  private over = false;
  /** Messages in order, binary ones (capability deflate-raw) inflated first. */
  readonly inbox = new OrderedInbox((data) => {
    if (!this.over) this.events.message(data);
  });

  constructor(
    private readonly urls: ReturnType<typeof endpointUrls>,
    private readonly events: AttemptEvents,
  ) {}

  async start(): Promise<void> {
    let iceServers: RTCIceServer[];
    try {
      iceServers = await fetchIceServers(this.urls.config);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e), e instanceof Refused);
      return;
    }
    if (this.over) return;
    const pc = (this.pc = new RTCPeerConnection({ iceServers }));
    // The channel exists before the offer so that the offer carries the DataChannel m-line. Its
    // subprotocol asks for protocol version 2; a bridge that does not know it answers in
    // version 1 (hello.protocol says which), and the page copes with both.
    const dc = (this.dc = pc.createDataChannel("chedweb", { protocol: CHANNEL_PROTOCOL }));
    dc.binaryType = "arraybuffer";
    const ws = (this.ws = new WebSocket(this.urls.ws));
    pc.onicecandidate = (ev) => this.onCandidate(ev.candidate);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        this.fail(`peer connection ${pc.connectionState}`);
      }
    };
    dc.onopen = () => {
      if (this.over) return;
      this.live = true;
      this.events.live();
    };
    dc.onmessage = (ev: MessageEvent) => {
      if (!this.over) this.inbox.push(ev.data);
    };
    dc.onclose = () => this.fail("data channel closed");
    ws.onopen = () => void this.sendOffer();
    ws.onmessage = (ev: MessageEvent) => void this.onSignal(ev.data);
    ws.onclose = (ev: CloseEvent) => {
      const reason = this.refusal || ev.reason || (this.live ? "bridge went away" : "signaling closed");
      this.fail(reason, FATAL_REASONS.includes(reason));
    };
  }

  /** Sends on the DataChannel; false when it is not open. */
  send(text: string): boolean {
    if (this.over || this.dc?.readyState !== "open") return false;
    this.dc.send(text);
    return true;
  }

  /** Ends the attempt with a reason (a timeout): reported like any failure. */
  abort(reason: string): void {
    this.fail(reason);
  }

  /** Ends the attempt without reporting it. */
  close(): void {
    this.over = true;
    this.teardown();
  }

  private onCandidate(c: RTCIceCandidate | null): void {
    // null: gathering finished, sent as the protocol's end-of-candidates.
    const text = JSON.stringify(
      c === null || c.candidate === ""
        ? { type: "candidate", candidate: null }
        : { type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex },
    );
    if (this.offerSent && this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queued.push(text);
  }

  private async sendOffer(): Promise<void> {
    const { pc, ws } = this;
    if (pc === undefined || ws === undefined) return;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (this.over) return;
      // `compression`: the encodings this browser inflates (docs/protocol.md, "Compression"); a
      // bridge that does not know the field ignores it and sends text.
      const compression = canInflate() ? [DEFLATE_RAW] : [];
      ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription?.sdp ?? offer.sdp, compression }));
      this.offerSent = true;
      for (const text of this.queued.splice(0)) ws.send(text);
    } catch (e) {
      this.fail(`offer failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async onSignal(data: unknown): Promise<void> {
    if (this.over) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(data));
    } catch {
      return; // Not ours to answer: the bridge only sends JSON.
    }
    const msg = signalSchema.safeParse(parsed);
    if (!msg.success) return;
    if (msg.data.type === "error") {
      this.refusal = msg.data.message;
      // The bridge keeps the socket open for some errors; a refusal before we are live is final
      // for this attempt either way.
      if (!this.live) this.fail(this.refusal, FATAL_REASONS.includes(this.refusal));
      return;
    }
    try {
      await this.pc?.setRemoteDescription({ type: "answer", sdp: msg.data.sdp });
    } catch (e) {
      this.fail(`bad answer: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private fail(reason: string, fatal = false): void {
    if (this.over) return;
    this.over = true;
    this.teardown();
    this.events.failed(reason, fatal);
  }

  private teardown(): void {
    this.inbox.close();
    const { ws, pc, dc } = this;
    this.ws = this.pc = this.dc = undefined;
    if (dc) dc.onopen = dc.onmessage = dc.onclose = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    }
    if (pc) {
      pc.onicecandidate = pc.onconnectionstatechange = null;
      pc.close();
    }
  }
}

async function fetchIceServers(url: string): Promise<RTCIceServer[]> {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store" });
  } catch {
    throw new Error("bridge unreachable");
  }
  // An older bridge without /config: connect without ICE servers (same network only).
  if (res.status === 404) return [];
  if (res.status === 401 || res.status === 403) {
    let reason = "unauthorized";
    try {
      const body = (await res.json()) as { message?: unknown; error?: unknown };
      const text = body.message ?? body.error;
      if (typeof text === "string" && text) reason = text;
    } catch {
      // Not JSON: keep the generic reason.
    }
    throw new Refused(reason);
  }
  if (!res.ok) throw new Error(`config: HTTP ${res.status}`);
  const parsed = configSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new Error("config: malformed response");
  return parsed.data.iceServers;
}

/** The link's state machine: one Attempt at a time, retried with backoff unless refused for good. */
export class Link {
  private attempt: Attempt | undefined;
  private tries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReason = "";

  constructor(
    private readonly page: URL,
    private readonly events: LinkEvents,
  ) {}

  connect(): void {
    this.stop();
    this.tries = 0;
    this.open();
  }

  disconnect(): void {
    this.stop();
    this.events.state("disconnected", "");
  }

  /** Sends on the live DataChannel; false when there is none. */
  send(text: string): boolean {
    return this.attempt?.send(text) ?? false;
  }

  /** The current attempt's message counts (text, binary, bytes): tests and the benchmark read them. */
  counts(): InboxCounts | undefined {
    return this.attempt === undefined ? undefined : { ...this.attempt.inbox.counts };
  }

  private open(): void {
    if (this.tries > 0) this.events.state("reconnecting", this.lastReason);
    else this.events.state("connecting", "");
    const attempt: Attempt = new Attempt(endpointUrls(this.page), {
      live: () => {
        this.tries = 0;
        clearTimeout(this.attemptTimer);
        this.events.state("live", "");
      },
      message: (data) => this.events.message(data),
      failed: (reason, fatal) => {
        if (attempt === this.attempt) this.failed(reason, fatal);
      },
    });
    this.attempt = attempt;
    this.attemptTimer = setTimeout(() => attempt.abort("timed out connecting"), ATTEMPT_TIMEOUT_MS);
    void attempt.start();
  }

  /** The current attempt ended: retry with backoff unless the refusal is final. */
  private failed(reason: string, fatal: boolean): void {
    this.attempt = undefined;
    this.stopTimers();
    if (fatal) {
      this.events.state("error", reason);
      return;
    }
    const delay = backoffDelay(this.tries);
    this.tries += 1;
    this.lastReason = reason;
    this.events.state("reconnecting", reason);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private stop(): void {
    this.stopTimers();
    this.attempt?.close();
    this.attempt = undefined;
  }

  private stopTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.attemptTimer);
    this.retryTimer = undefined;
    this.attemptTimer = undefined;
  }
}
