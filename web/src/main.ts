// Entry point: wires the page to the bridge link, and exposes `window.chedweb`, the
// instrumentation hook the benchmark and the browser tests read.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { Page, type Stats } from "./page";
import { Link } from "./connection";
import type { InboxCounts } from "./inflate";

interface ChedwebHook {
  stats(): Stats;
  /** Validates and applies one message at once, on the page's thread. */
  feed(data: unknown): void;
  /** Hands one message to the DataChannel's own handler (large ones parsed in the worker, applied when it answers). */
  receive(data: unknown): void;
  /** Messages handed to the parse worker and not applied yet. */
  parsing(): number;
  /** Redraws now instead of on the next animation frame. */
  redraw(): void;
  resetTimings(): void;
  /** Frames timed since the last reset (their times are stats().frameMs, in order). */
  frameCount(): number;
  csv(): string;
  connect(): void;
  disconnect(): void;
  /** Mutes an alert for `seconds` through the same path as the Mute button (tests: short mutes). */
  muteAlert(key: string, seconds: number): void;
  /** The current link's DataChannel message counts (binary: capability deflate-raw). */
  linkCounts(): InboxCounts | undefined;
  /** Disconnects and disposes every view (their DOM, listeners and timers go with them). */
  dispose(): void;
}

declare global {
  interface Window {
    chedweb: ChedwebHook;
  }
}

const url = new URL(window.location.href);
const page = new Page({
  onLinkAction: (action) => (action === "disconnect" ? link.disconnect() : link.connect()),
  send: (text) => link.send(text),
  token: url.searchParams.get("token"),
  parseWorker: () => new Worker(new URL("./parse-worker.ts", import.meta.url), { type: "module" }),
});
const link = new Link(url, {
  state: (state, detail) => page.state.setLink(state, detail),
  message: (data) => page.receive(data),
});

window.chedweb = {
  stats: () => page.stats(),
  feed: (data) => page.handleMessage(data),
  receive: (data) => page.receive(data),
  parsing: () => page.parsing(),
  redraw: () => page.frame.flush(),
  resetTimings: () => page.frame.resetTimings(),
  frameCount: () => page.frame.frameTimings.count,
  csv: () => page.csv(),
  linkCounts: () => link.counts(),
  connect: () => link.connect(),
  disconnect: () => link.disconnect(),
  muteAlert: (key, seconds) => {
    const actions = page.alertActions();
    actions.mute({ key, kind: "status", level: 0, hardwareId: "", name: key, message: "", count: 1 }, seconds);
  },
  dispose: () => {
    link.disconnect();
    page.dispose();
  },
};

page.frame.flush();
// ?autoconnect=0 loads the page without connecting (used by the benchmark).
if (url.searchParams.get("autoconnect") !== "0") link.connect();
