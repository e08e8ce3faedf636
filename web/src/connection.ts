// The link to the bridge: GET config (ICE servers), WebSocket /ws for signaling, one
// RTCPeerConnection with the DataChannel "chedweb". Reconnects with backoff when anything drops,
// except after a refusal that retrying cannot fix (wrong token, origin not allowed).
import { backoffDelay } from "./backoff";
import { configSchema, signalSchema } from "./protocol";

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

export class Link {
  private attempt = 0;
  private generation = 0;
  private ws: WebSocket | undefined;
  private pc: RTCPeerConnection | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private current: LinkState = "disconnected";
  private lastReason = "";

  constructor(
    private readonly page: URL,
    private readonly events: LinkEvents,
  ) {}

  connect(): void {
    this.stopTimers();
    this.teardown();
    this.attempt = 0;
    void this.open();
  }

  disconnect(): void {
    this.generation += 1;
    this.stopTimers();
    this.teardown();
    this.set("disconnected", "");
  }

  private set(state: LinkState, detail: string): void {
    this.current = state;
    this.events.state(state, detail);
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    const alive = () => gen === this.generation;
    if (this.attempt > 0) this.set("reconnecting", this.lastReason);
    else this.set("connecting", "");
    this.attemptTimer = setTimeout(() => alive() && this.fail(gen, "timed out connecting"), ATTEMPT_TIMEOUT_MS);
    const urls = endpointUrls(this.page);
    let iceServers: RTCIceServer[] = [];
    try {
      iceServers = await this.fetchIceServers(urls.config);
    } catch (e) {
      if (alive()) this.fail(gen, e instanceof Error ? e.message : String(e), e instanceof Refused);
      return;
    }
    if (!alive()) return;

    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    // The channel exists before the offer so that the offer carries the DataChannel m-line.
    const dc = pc.createDataChannel("chedweb");
    const ws = new WebSocket(urls.ws);
    this.ws = ws;
    const queued: string[] = [];
    let offerSent = false;
    const sendCandidate = (text: string) => {
      if (offerSent && ws.readyState === WebSocket.OPEN) ws.send(text);
      else queued.push(text);
    };
    let refusal = "";

    pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      // null: gathering finished, sent as the protocol's end-of-candidates.
      sendCandidate(
        JSON.stringify(
          c === null || c.candidate === ""
            ? { type: "candidate", candidate: null }
            : { type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex },
        ),
      );
    };
    pc.onconnectionstatechange = () => {
      if (!alive()) return;
      if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        this.fail(gen, `peer connection ${pc.connectionState}`);
      }
    };
    dc.onopen = () => {
      if (!alive()) return;
      this.attempt = 0;
      clearTimeout(this.attemptTimer);
      this.set("live", "");
    };
    dc.onmessage = (ev: MessageEvent) => {
      if (alive()) this.events.message(ev.data);
    };
    dc.onclose = () => {
      if (alive()) this.fail(gen, "data channel closed");
    };
    ws.onopen = async () => {
      try {
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        if (!alive()) return;
        ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription?.sdp ?? offer.sdp }));
        offerSent = true;
        for (const text of queued.splice(0)) ws.send(text);
      } catch (e) {
        if (alive()) this.fail(gen, `offer failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    ws.onmessage = async (ev: MessageEvent) => {
      if (!alive()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(ev.data));
      } catch {
        return; // Not ours to answer: the bridge only sends JSON.
      }
      const msg = signalSchema.safeParse(parsed);
      if (!msg.success) return;
      if (msg.data.type === "error") {
        refusal = msg.data.message;
        // The bridge keeps the socket open for some errors; a refusal before we are live is final
        // for this attempt either way.
        if (this.current !== "live") this.fail(gen, refusal, FATAL_REASONS.includes(refusal));
        return;
      }
      try {
        await pc.setRemoteDescription({ type: "answer", sdp: msg.data.sdp });
      } catch (e) {
        if (alive()) this.fail(gen, `bad answer: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      if (!alive()) return;
      const reason = refusal || ev.reason || (this.current === "live" ? "bridge went away" : "signaling closed");
      this.fail(gen, reason, FATAL_REASONS.includes(reason));
    };
  }

  private async fetchIceServers(url: string): Promise<RTCIceServer[]> {
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

  /** Ends this attempt; retries with backoff unless the refusal is final. */
  private fail(gen: number, reason: string, fatal = false): void {
    if (gen !== this.generation) return;
    this.generation += 1;
    this.stopTimers();
    this.teardown();
    if (fatal) {
      this.set("error", reason);
      return;
    }
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.lastReason = reason;
    this.set("reconnecting", reason);
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private stopTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.attemptTimer);
    this.retryTimer = undefined;
    this.attemptTimer = undefined;
  }

  private teardown(): void {
    const ws = this.ws;
    const pc = this.pc;
    this.ws = undefined;
    this.pc = undefined;
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
