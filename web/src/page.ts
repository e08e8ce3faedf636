// The page: state, the views mounted into index.html's slots, and the message handler. Owns
// nothing but their lifetimes: dispose() leaves no listener, timer, observer or view DOM behind.
import { chartWindow, tableInView } from "./chart-window";
import type { LinkState } from "./connection";
import { toCsv } from "./csv";
import { followMachines } from "./machines";
import { chartSpecs } from "./metrics";
import { PageState } from "./page-state";
import { classify } from "./protocol";
import type { Store } from "./store";
import type { Timings } from "./timings";
import { BannerView } from "./ui/banner";
import { CardsView } from "./ui/cards";
import { ChartsView } from "./ui/charts";
import { ControlsView } from "./ui/controls";
import { CountersView } from "./ui/counters";
import { FrameScheduler } from "./ui/frame";
import { LinkView, type LinkAction } from "./ui/link-view";
import { ProcessesView } from "./ui/processes";
import { Scope, type Disposable } from "./ui/scope";
import { StatusTable } from "./ui/table";

export interface Stats {
  state: LinkState;
  detail: string;
  counters: Store["counters"];
  statuses: number;
  machine: string;
  chartPoints: Record<string, number>;
  apply: ReturnType<Timings["summary"]>;
  redraw: ReturnType<Timings["summary"]>;
  frame: ReturnType<Timings["summary"]>;
  applyMs: number[];
  redrawMs: number[];
  frameMs: number[];
  sections: Record<string, ReturnType<Timings["summary"]>>;
}

function slot(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page slot #${id} missing`);
  return el;
}

export class Page implements Disposable {
  readonly state: PageState;
  readonly frame = new FrameScheduler();
  private readonly scope = new Scope();
  private readonly charts: ChartsView;

  constructor(onLinkAction: (action: LinkAction) => void, now: () => number = () => Date.now()) {
    const state = (this.state = new PageState(now));
    const frame = this.frame;
    const s = this.scope;
    s.add(() => frame.dispose());
    s.add(followMachines(state));
    // Views in page order (the frame renders them in this order).
    const views: Disposable[] = [
      new LinkView(slot("topbar"), state, frame, onLinkAction),
      new BannerView(slot("banner-slot"), state, frame),
      new ControlsView(slot("controls"), state, frame, () => this.downloadCsv()),
      new CardsView(slot("cards"), state, frame),
      (this.charts = new ChartsView(slot("charts"), state, frame)),
      new ProcessesView(slot("processes-panel"), state, frame),
      new StatusTable(slot("status-panel"), state, frame),
      new CountersView(slot("counters"), state, frame),
    ];
    for (const v of views) s.add(() => v.dispose());
    // Ages and staleness move with the clock even when no message arrives.
    s.interval(() => state.clock.set(Math.floor(now() / 1000)), 1000);
  }

  /** The DataChannel's message handler: validate, apply, tell the views. Never throws. */
  handleMessage(data: unknown): void {
    const t0 = performance.now();
    const { store } = this.state;
    const c = classify(data);
    const now = this.state.now();
    if (c.kind === "unknown") store.countUnknown(c.type);
    else if (c.kind === "malformed") store.countMalformed(c.reason);
    else if (c.msg.type === "hello") store.applyHello(c.msg);
    else if (c.msg.type === "snapshot") store.applySnapshotPart(c.msg, now);
    else store.applyDiagnostics(c.msg, now);
    if (c.kind === "ok") store.countRejected(c.rejected, c.reason);
    if (c.kind === "ok" && c.msg.type !== "hello") this.state.data.bump();
    this.state.messages.bump();
    this.frame.noteApply(performance.now() - t0);
  }

  stats(): Stats {
    const { frame, state } = this;
    const link = state.link.value;
    return {
      state: link.state,
      detail: link.detail,
      counters: { ...state.store.counters },
      statuses: state.store.entries.size,
      machine: state.machine.value,
      chartPoints: this.charts.points(),
      apply: frame.applyTimings.summary(),
      redraw: frame.redrawTimings.summary(),
      frame: frame.frameTimings.summary(),
      applyMs: frame.applyTimings.values(),
      redrawMs: frame.redrawTimings.values(),
      frameMs: frame.frameTimings.values(),
      sections: Object.fromEntries([...frame.sections].map(([k, t]) => [k, t.summary()])),
    };
  }

  /** CSV of the charted history in view for the selected machine. */
  csv(): string {
    const { store, machine, range } = this.state;
    const specs = chartSpecs(store, machine.value);
    const w = chartWindow(store, machine.value, range.value, specs);
    return toCsv(specs.map((spec) => tableInView(spec.series, w)));
  }

  dispose(): void {
    this.scope.dispose();
  }

  private downloadCsv(): void {
    const blob = new Blob([this.csv()], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
    a.download = `chedweb-${this.state.machine.value || "history"}-${stamp}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
