// The page: applies each DataChannel message to the store at once, and redraws on animation
// frames (several messages in one frame cost one redraw; the charts are spread over frames, see
// renderCharts).
import { PROTOCOL_VERSION, classify, type Status } from "./protocol";
import { Store, isStale } from "./store";
import {
  cards,
  chartSpecs,
  emptyTable,
  joinSeries,
  machineStatuses,
  machines,
  newestTime,
  processes,
  type ChartId,
  type ChartSpec,
  type SeriesSpec,
  type Table,
} from "./metrics";
import { toCsv } from "./csv";
import { Timings } from "./timings";
import { formatValue, levelClass, levelName } from "./format";
import { ChartView } from "./ui/chart";
import { StatusTable } from "./ui/table";
import { setData, setText } from "./ui/dom";
import type { LinkState } from "./connection";

/** Narrowest x axis, so the first few samples do not fill the whole width. */
const MIN_SPAN_SECONDS = 30;
const CHART_IDS: readonly ChartId[] = ["cpu-memory", "cores", "network", "temperature"];

/** The charts' x range (see App.chartWindow). */
interface ChartWindow {
  from: number;
  left: number;
  to: number;
}

/** The series' samples from the window's start, or no rows when there is no window (no samples). */
function tableInView(series: SeriesSpec[], w: ChartWindow | undefined): Table {
  return w ? joinSeries(series, w.from) : emptyTable(series.map((s) => s.label));
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} missing`);
  return el as T;
}

interface CardElements {
  card: HTMLElement;
  label: HTMLElement;
  value: HTMLElement;
}

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

export class App {
  readonly store = new Store();
  readonly applyTimings = new Timings();
  readonly redrawTimings = new Timings();
  /** Per frame: the apply time of the messages it shows plus its redraw. */
  readonly frameTimings = new Timings();
  rangeSeconds = 300;
  machine = "";
  linkState: LinkState = "disconnected";
  linkDetail = "";

  /** Time per part of the redraw, to find what a slow frame spent its time on. */
  readonly sections = new Map<string, Timings>();
  private frameRequested = false;
  private viewDirty = true;
  private viewDrawnAt = -Infinity;
  private applySinceFrame = 0;
  private charts = new Map<ChartId, ChartView>();
  private table: StatusTable;
  private machineList = "";
  private chartsDirty = new Set<ChartId>();
  private chartDrawnAt = new Map<ChartId, number>();
  private chartTimer: ReturnType<typeof setTimeout> | undefined;
  /** The Processes status the processes table was last built from (null: not built yet). */
  private shownProcesses: Status | undefined | null = null;
  private cardElements = new Map<string, CardElements>();

  constructor(private readonly now: () => number = () => Date.now()) {
    this.table = new StatusTable(byId<HTMLTableSectionElement>("status-body"));
    for (const id of CHART_IDS) {
      const host = byId(`chart-${id}`);
      this.charts.set(id, new ChartView(host, host.dataset["unit"] ?? ""));
    }
    const range = byId<HTMLSelectElement>("range-select");
    range.value = String(this.rangeSeconds);
    range.addEventListener("change", () => {
      this.rangeSeconds = Number(range.value);
      this.markChartsDirty(true);
      this.schedule();
    });
    const picker = byId<HTMLSelectElement>("machine-picker");
    picker.addEventListener("change", () => {
      this.machine = picker.value;
      this.markChartsDirty(true);
      this.schedule();
    });
    byId("csv-export").addEventListener("click", () => this.downloadCsv());
    const observer = new ResizeObserver(() => {
      for (const c of this.charts.values()) c.resize();
    });
    observer.observe(byId("charts"));
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      for (const c of this.charts.values()) c.restyle();
      this.markChartsDirty(true);
      this.schedule();
    });
    // Ages and staleness move with the clock even when no message arrives (whole seconds, so a
    // view redrawn by a message less than a second ago is still right).
    setInterval(() => {
      if (performance.now() - this.viewDrawnAt >= 900) this.schedule();
    }, 1000);
  }

  /** The DataChannel's message handler: validate, apply, schedule a redraw. Never throws. */
  handleMessage(data: unknown): void {
    const t0 = performance.now();
    const c = classify(data);
    const now = this.now();
    if (c.kind === "unknown") this.store.countUnknown(c.type);
    else if (c.kind === "malformed") this.store.countMalformed(c.reason);
    else if (c.msg.type === "hello") this.store.applyHello(c.msg);
    else if (c.msg.type === "snapshot") this.store.applySnapshotPart(c.msg, now);
    else this.store.applyDiagnostics(c.msg, now);
    if (c.kind === "ok" && c.msg.type !== "hello") this.markChartsDirty();
    const dt = performance.now() - t0;
    this.applyTimings.add(dt);
    this.applySinceFrame += dt;
    this.schedule();
  }

  setLinkState(state: LinkState, detail: string): void {
    this.linkState = state;
    this.linkDetail = detail;
    this.schedule();
  }

  /** Requests one redraw on the next animation frame; repeated calls before it coalesce. */
  schedule(): void {
    this.viewDirty = true;
    this.requestFrame();
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.redraw());
  }

  /**
   * Redraws everything. Its time includes uPlot's paint, which uPlot batches into a microtask:
   * the measurement ends in a microtask queued after it.
   */
  redraw(): void {
    this.frameRequested = false;
    const t0 = performance.now();
    const applied = this.applySinceFrame;
    this.applySinceFrame = 0;
    const now = this.now();
    // Frames that only finish the charts of an earlier message leave the rest alone.
    const parts: [string, () => void][] = this.viewDirty
      ? [
          ["link", () => this.renderLink()],
          ["machines", () => this.renderMachines()],
          ["cards", () => this.renderCards()],
          ["charts", () => this.renderCharts()],
          ["processes", () => this.renderProcesses()],
          ["table", () => this.table.update(this.store, now)],
          ["banner", () => this.renderBanner(now)],
          ["counters", () => this.renderCounters()],
        ]
      : [["charts", () => this.renderCharts()]];
    if (this.viewDirty) this.viewDrawnAt = t0;
    this.viewDirty = false;
    let mark = t0;
    for (const [name, render] of parts) {
      render();
      const end = performance.now();
      this.sectionTimings(name).add(end - mark);
      mark = end;
    }
    queueMicrotask(() =>
      queueMicrotask(() => {
        const end = performance.now();
        this.sectionTimings("paint").add(end - mark);
        const dt = end - t0;
        this.redrawTimings.add(dt);
        this.frameTimings.add(dt + applied);
      }),
    );
  }

  private sectionTimings(name: string): Timings {
    let t = this.sections.get(name);
    if (t === undefined) this.sections.set(name, (t = new Timings(512)));
    return t;
  }

  stats(): Stats {
    const chartPoints: Record<string, number> = {};
    for (const [id, c] of this.charts) chartPoints[id] = c.points;
    return {
      state: this.linkState,
      detail: this.linkDetail,
      counters: { ...this.store.counters },
      statuses: this.store.entries.size,
      machine: this.machine,
      chartPoints,
      apply: this.applyTimings.summary(),
      redraw: this.redrawTimings.summary(),
      frame: this.frameTimings.summary(),
      applyMs: this.applyTimings.values(),
      redrawMs: this.redrawTimings.values(),
      frameMs: this.frameTimings.values(),
      sections: Object.fromEntries([...this.sections].map(([k, t]) => [k, t.summary()])),
    };
  }

  resetTimings(): void {
    this.applyTimings.clear();
    this.redrawTimings.clear();
    this.frameTimings.clear();
    for (const t of this.sections.values()) t.clear();
  }

  /** CSV of the charted history in view for the selected machine. */
  csv(): string {
    const specs = chartSpecs(this.store, this.machine);
    const w = this.chartWindow(specs);
    return toCsv(specs.map((spec) => tableInView(spec.series, w)));
  }

  private downloadCsv(): void {
    const blob = new Blob([this.csv()], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
    a.download = `chedweb-${this.machine || "history"}-${stamp}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  private renderLink(): void {
    const el = byId("link-state");
    setData(el, "state", this.linkState);
    setText(el, this.linkState);
    setText(byId("link-detail"), this.linkDetail);
    const button = byId<HTMLButtonElement>("connect-button");
    const connected = this.linkState !== "disconnected" && this.linkState !== "error";
    setText(button, connected ? "Disconnect" : "Connect");
    setData(button, "action", connected ? "disconnect" : "connect");
    const hello = this.store.hello;
    setText(byId("hostname"), hello ? `${hello.hostname} · bridge ${hello.version}` : "");
  }

  private renderMachines(): void {
    const list = machines(this.store);
    if (!list.includes(this.machine)) {
      const preferred = this.store.hello?.hostname;
      this.machine = preferred !== undefined && list.includes(preferred) ? preferred : (list[0] ?? "");
      this.markChartsDirty(true);
    }
    const picker = byId<HTMLSelectElement>("machine-picker");
    const signature = list.join("\u0000");
    if (signature !== this.machineList) {
      this.machineList = signature;
      picker.replaceChildren(
        ...list.map((id) => {
          const o = document.createElement("option");
          o.value = id;
          o.textContent = id;
          return o;
        }),
      );
      picker.disabled = list.length < 2;
    }
    if (picker.value !== this.machine) picker.value = this.machine;
  }

  private renderCards(): void {
    for (const card of cards(this.store, this.machine)) {
      const { card: el, label, value } = this.cardElementsOf(card.id);
      setText(label, card.label);
      setText(value, formatValue(card.value, card.unit));
      const cls = `card ${levelClass(card.level)}`;
      if (el.className !== cls) el.className = cls;
      setData(el, "level", levelName(card.level));
      setData(el, "value", card.value === undefined ? "" : String(card.value));
    }
  }

  /** A card's elements, looked up once (the cards are static in index.html). */
  private cardElementsOf(id: string): CardElements {
    let c = this.cardElements.get(id);
    if (c === undefined) {
      const card = byId(`card-${id}`);
      c = {
        card,
        label: card.querySelector(".label") as HTMLElement,
        value: card.querySelector(".value") as HTMLElement,
      };
      this.cardElements.set(id, c);
    }
    return c;
  }

  /** The x range of every chart: the time window, clipped to the history held. */
  private chartWindow(specs: ChartSpec[]): ChartWindow | undefined {
    const to = newestTime(this.store, this.machine);
    if (!Number.isFinite(to)) return undefined;
    const from = to - this.rangeSeconds;
    // While less than the range is held, the axis starts at the oldest sample instead of leaving
    // most of the chart empty.
    let oldest = Number.POSITIVE_INFINITY;
    for (const spec of specs) {
      for (const s of spec.series) {
        const h = s.entry.history;
        const i = h.lowerBound(from);
        if (i < h.length && h.timeAt(i) < oldest) oldest = h.timeAt(i);
      }
    }
    const left = Number.isFinite(oldest) ? Math.min(Math.max(from, oldest), to - MIN_SPAN_SECONDS) : from;
    return { from, left, to };
  }

  /**
   * Updates one chart per frame, and asks for another frame while some are left: a message's
   * redraw is spread over frames so that no frame pays for all four charts. A chart is redrawn at
   * most once per pixel of time (range / width, between 0.1 s and 1 s): at 10 Hz on a 5 min
   * axis a new sample moves nothing visible, so redrawing for each one would be wasted work.
   */
  private renderCharts(): void {
    const nowMs = performance.now();
    const id = CHART_IDS.find((c) => this.chartsDirty.has(c) && this.chartDue(c) <= nowMs);
    if (id !== undefined) {
      this.chartsDirty.delete(id);
      this.chartDrawnAt.set(id, nowMs);
      const specs = chartSpecs(this.store, this.machine);
      const spec = specs.find((s) => s.id === id);
      const view = this.charts.get(id);
      if (spec !== undefined && view !== undefined) {
        const w = this.chartWindow(specs);
        view.update(tableInView(spec.series, w), w?.left ?? 0, w?.to ?? 1);
      }
    }
    if (this.chartsDirty.size === 0) return;
    // The next chart is either due now (next frame) or later (a timer, then a frame).
    let due = Infinity;
    for (const c of this.chartsDirty) due = Math.min(due, this.chartDue(c));
    if (due <= nowMs + 1) this.requestFrame();
    else if (this.chartTimer === undefined) {
      this.chartTimer = setTimeout(() => {
        this.chartTimer = undefined;
        this.requestFrame();
      }, due - nowMs);
    }
  }

  /** When a chart may be redrawn next (performance.now() time). */
  private chartDue(id: ChartId): number {
    return (this.chartDrawnAt.get(id) ?? -Infinity) + this.chartInterval(id);
  }

  private chartInterval(id: ChartId): number {
    const width = this.charts.get(id)?.plotWidth ?? 500;
    return Math.min(1000, Math.max(100, (this.rangeSeconds * 1000) / Math.max(1, width)));
  }

  /** Marks every chart for redraw; `now` also drops the rate limit (a new range or machine). */
  private markChartsDirty(now = false): void {
    for (const id of CHART_IDS) this.chartsDirty.add(id);
    if (now) this.chartDrawnAt.clear();
  }

  private renderProcesses(): void {
    // The list is read from the Processes status's latest, which each update replaces with a new
    // object: the same object (or still none) means the same list, so the frame has nothing to do.
    const latest = machineStatuses(this.store, this.machine).Processes?.latest;
    if (latest === this.shownProcesses) return;
    this.shownProcesses = latest;
    const body = byId<HTMLTableSectionElement>("processes-body");
    const list = processes(this.store, this.machine);
    // A new status may list the same processes: the rows are then left as they are.
    const signature = JSON.stringify(list);
    if (body.dataset["signature"] === signature) return;
    body.dataset["signature"] = signature;
    body.replaceChildren(
      ...list.map((p) => {
        const tr = document.createElement("tr");
        for (const text of [
          p.name,
          p.pid === undefined ? "" : String(p.pid),
          p.cpu === undefined ? "" : p.cpu.toFixed(1),
          p.rssMiB === undefined ? "" : p.rssMiB.toFixed(1),
        ]) {
          const cell = document.createElement("td");
          cell.textContent = text;
          tr.append(cell);
        }
        return tr;
      }),
    );
  }

  private renderBanner(now: number): void {
    const banner = byId("alert-banner");
    const alerts = this.store.alerts().map((e) => ({ e, stale: isStale(e, now) }));
    const signature = alerts
      .map(({ e, stale }) => `${e.latest?.level}|${e.hardwareId}|${e.name}|${e.latest?.message}|${stale}`)
      .join("\n");
    if (banner.dataset["signature"] === signature) return;
    banner.dataset["signature"] = signature;
    banner.hidden = alerts.length === 0;
    banner.dataset["level"] = alerts.length ? levelName(alerts[0]?.e.latest?.level) : "";
    banner.replaceChildren(
      ...alerts.map(({ e, stale }) => {
        const level = levelName(e.latest?.level);
        const item = document.createElement("div");
        item.className = `alert ${levelClass(e.latest?.level)}`;
        item.dataset["testid"] = "alert-item";
        item.dataset["name"] = e.name;
        item.dataset["level"] = level;
        item.textContent = `${level} ${e.name} [${e.hardwareId}]: ${e.latest?.message ?? ""}${stale ? " (stale)" : ""}`;
        return item;
      }),
    );
  }

  private renderCounters(): void {
    const c = this.store.counters;
    setText(byId("count-messages"), String(c.messages));
    setText(byId("count-unknown"), String(c.unknown));
    setText(byId("count-malformed"), String(c.malformed));
    setText(byId("count-dropped"), String(c.dropped));
    const hello = this.store.hello;
    const problems: string[] = [];
    if (hello !== undefined && hello.protocol !== PROTOCOL_VERSION) {
      problems.push(`bridge speaks protocol ${hello.protocol}, this page ${PROTOCOL_VERSION}`);
    }
    if (c.lastMalformed) problems.push(`last malformed: ${c.lastMalformed}`);
    if (c.lastUnknown) problems.push(`last unknown type: ${c.lastUnknown}`);
    setText(byId("last-problem"), problems.join(" · "));
  }
}
