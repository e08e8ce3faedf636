// Entry point: wires the page to the bridge link, and exposes `window.chedweb`, the
// instrumentation hook the benchmark and the browser tests read.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { App, type Stats } from "./app";
import { Link } from "./connection";

interface ChedwebHook {
  stats(): Stats;
  /** Runs one message through the DataChannel handler (validation included). */
  feed(data: unknown): void;
  /** Redraws now instead of on the next animation frame. */
  redraw(): void;
  resetTimings(): void;
  /** Frames timed since the last reset (their times are stats().frameMs, in order). */
  frameCount(): number;
  csv(): string;
  connect(): void;
  disconnect(): void;
}

declare global {
  interface Window {
    chedweb: ChedwebHook;
  }
}

const page = new URL(window.location.href);
const app = new App();
const link = new Link(page, {
  state: (state, detail) => app.setLinkState(state, detail),
  message: (data) => app.handleMessage(data),
});

const button = document.getElementById("connect-button") as HTMLButtonElement;
button.addEventListener("click", () => {
  if (button.dataset["action"] === "disconnect") link.disconnect();
  else link.connect();
});

window.chedweb = {
  stats: () => app.stats(),
  feed: (data) => app.handleMessage(data),
  redraw: () => app.redraw(),
  resetTimings: () => app.resetTimings(),
  frameCount: () => app.frameTimings.count,
  csv: () => app.csv(),
  connect: () => link.connect(),
  disconnect: () => link.disconnect(),
};

app.redraw();
// ?autoconnect=0 loads the page without connecting (used by the benchmark).
if (page.searchParams.get("autoconnect") !== "0") link.connect();
