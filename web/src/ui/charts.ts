// The four charts of the selected machine. A message's redraw is spread over frames, one chart per
// frame, so that no frame pays for all four; and a chart is redrawn at most once per pixel of
// time (range / width, between 0.1 s and 1 s): at 10 Hz on a 5 min axis a new sample moves
// nothing visible, so redrawing for each one would be wasted work.
import { chartWindow, tableInView } from "../chart-window";
import { summarize } from "../chart-summary";
import { formatAge, formatRate } from "../format";
import { chartSpecs, machineStatuses, type ChartId, type ChartSpec } from "../metrics";
import type { RequestClient } from "../requests";
import { RangeFetcher } from "./range-fetcher";
import type { PageState } from "../page-state";
import { ChartView } from "./chart";
import { h, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const CHARTS: [ChartId, string, string][] = [
  ["cpu-memory", "CPU and memory (%)", "%"],
  ["temperature", "Temperature (°C)", "°C"],
  ["network", "Network", "B/s"],
  ["cores", "CPU per core (%)", "%"],
];
/** The order in which dirty charts are redrawn. */
const DRAW_ORDER: readonly ChartId[] = ["cpu-memory", "cores", "network", "temperature"];

export class ChartsView implements Part {
  readonly name = "charts";
  private readonly scope = new Scope();
  private readonly charts = new Map<ChartId, ChartView>();
  private readonly figures = new Map<ChartId, { figure: HTMLElement; summary: HTMLElement; note: HTMLElement; unit: string }>();
  private readonly dirty = new Set<ChartId>();
  private readonly drawnAt = new Map<ChartId, number>();
  private cancelTimer: (() => void) | undefined;
  private readonly fetcher: RangeFetcher | undefined;

  constructor(
    host: HTMLElement,
    private readonly state: PageState,
    private readonly frame: FrameScheduler,
    private readonly requests?: RequestClient,
  ) {
    const s = this.scope;
    if (requests !== undefined) {
      const fetcher = (this.fetcher = new RangeFetcher(state, requests, (id) => {
        this.dirty.add(id as ChartId);
        this.drawnAt.delete(id as ChartId);
        frame.invalidate(this);
      }));
      s.add(() => fetcher.dispose());
    }
    for (const [id, caption, unit] of CHARTS) {
      // The canvas means nothing to a screen reader: the plot is an image named by the caption
      // and described by the text summary under it.
      const plot = h("div", {
        class: "chart",
        "data-testid": `chart-${id}`,
        "data-unit": unit,
        role: "img",
        "aria-labelledby": `chart-${id}-caption`,
        "aria-describedby": `chart-${id}-summary`,
      });
      const summary = h("p", { class: "chart-summary", id: `chart-${id}-summary`, "data-testid": `chart-summary-${id}` });
      const note = h("p", { class: "chart-note", "data-testid": `chart-note-${id}` });
      const figure = h("figure", {}, h("figcaption", { id: `chart-${id}-caption` }, caption), note, plot, summary);
      s.mount(host, figure);
      this.figures.set(id, { figure, summary, note, unit });
      const view = new ChartView(plot, unit, (w) => state.zoom.set(w));
      this.charts.set(id, view);
      s.add(() => view.dispose());
    }
    s.add(frame.add(this));
    s.watch(state.data, () => this.markDirty(false));
    s.watch(state.machine, () => this.markDirty(true));
    s.watch(state.range, () => this.markDirty(true));
    s.watch(state.zoom, () => this.markDirty(true));
    s.watch(state.capabilities, () => this.markDirty(true));
    s.onAny([state.staleMs, state.link], () => frame.invalidate(this));
    s.watch(state.clock, () => frame.refresh(this, 900));
    const observer = new ResizeObserver(() => {
      for (const c of this.charts.values()) c.resize();
    });
    observer.observe(host);
    s.add(() => observer.disconnect());
    // Colours come from CSS variables: a colour-scheme change rebuilds the plots.
    s.on(window.matchMedia("(prefers-color-scheme: dark)"), "change", () => this.restyle());
    s.watch(state.theme, () => this.restyle());
  }

  /** Samples in view per chart (the hook's stats().chartPoints). */
  points(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, c] of this.charts) out[id] = c.points;
    return out;
  }

  restyle(): void {
    for (const c of this.charts.values()) c.restyle();
    this.markDirty(true);
  }

  render(now: number): void {
    this.markStale(now);
    const nowMs = performance.now();
    const id = DRAW_ORDER.find((c) => this.dirty.has(c) && this.due(c) <= nowMs);
    if (id !== undefined) {
      this.dirty.delete(id);
      this.drawnAt.set(id, nowMs);
      const { store, machine, range } = this.state;
      const specs = chartSpecs(store, machine.value);
      const spec = specs.find((s) => s.id === id);
      const view = this.charts.get(id);
      if (spec !== undefined && view !== undefined && this.queryable(spec)) {
        this.fetcher?.draw(id, spec.series, view);
      } else if (spec !== undefined && view !== undefined) {
        const w = chartWindow(store, machine.value, range.value, specs);
        const table = tableInView(spec.series, w);
        view.update(table, w?.left ?? 0, w?.to ?? 1);
        const fig = this.figures.get(id);
        if (fig) setText(fig.summary, summarize(table, fig.unit === "B/s" ? formatRate : (v) => `${v.toFixed(1)} ${fig.unit}`));
      }
    }
    if (this.dirty.size === 0) return;
    // The next chart is either due now (next frame) or later (a timer, then a frame).
    let due = Infinity;
    for (const c of this.dirty) due = Math.min(due, this.due(c));
    if (due <= nowMs + 1) this.frame.invalidate(this);
    else if (this.cancelTimer === undefined) {
      this.cancelTimer = this.scope.timeout(() => {
        this.cancelTimer = undefined;
        this.frame.invalidate(this);
      }, due - nowMs);
    }
  }

  dispose(): void {
    this.scope.dispose();
  }

  /** The bridge answers range queries, and the chart has series to ask for. */
  private queryable(spec: ChartSpec): boolean {
    return this.requests !== undefined && spec.series.length > 0 && this.state.capabilities.value.includes("query");
  }

  /**
   * Greys the charts and says why when their data is not current: the machine's statuses are
   * stale, or the link is down.
   */
  private markStale(now: number): void {
    const { store, machine, staleMs } = this.state;
    let newest = -Infinity;
    for (const e of Object.values(machineStatuses(store, machine.value))) newest = Math.max(newest, e.updatedMs);
    const linkDown = this.state.linkDown();
    const stale = Number.isFinite(newest) && now - newest > staleMs.value;
    const note = linkDown ? "link down: last values received" : stale ? `stale: no data for ${formatAge(now - newest)}` : "";
    for (const fig of this.figures.values()) {
      setData(fig.figure, "stale", String(stale || linkDown));
      setText(fig.note, note);
      fig.note.hidden = note === "";
    }
  }

  /** Marks every chart for redraw; `now` also drops the rate limit (a new range or machine). */
  private markDirty(now: boolean): void {
    for (const id of DRAW_ORDER) this.dirty.add(id);
    if (now) this.drawnAt.clear();
    this.frame.invalidate(this);
  }

  /** When a chart may be redrawn next (performance.now() time). */
  private due(id: ChartId): number {
    const width = this.charts.get(id)?.plotWidth ?? 500;
    const interval = Math.min(1000, Math.max(100, (this.state.range.value * 1000) / Math.max(1, width)));
    return (this.drawnAt.get(id) ?? -Infinity) + interval;
  }
}
