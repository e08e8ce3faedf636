// The page: applies each DataChannel message to the store at once, and redraws at most once per
// animation frame (several messages in one frame cost one redraw).
import { classify } from "./protocol";
import { Store, isStale } from "./store";
import { cards, chartSpecs, joinSeries, machines, newestTime, processes, type ChartId, type Table } from "./metrics";
import { toCsv } from "./csv";
import { Timings } from "./timings";
import { formatValue, levelClass, levelName } from "./format";
import { ChartView } from "./ui/chart";
import { StatusTable } from "./ui/table";
import type { LinkState } from "./connection";

export const RANGES_SECONDS = [60, 300, 900, 3600] as const;
/** Narrowest x axis, so the first few samples do not fill the whole width. */
const MIN_SPAN_SECONDS = 30;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} missing`);
  return el as T;
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
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

  private frameRequested = false;
  private applySinceFrame = 0;
  private charts = new Map<ChartId, ChartView>();
  private table: StatusTable;
  private machineList = "";
  private lastTables: Table[] = [];

  constructor(private readonly now: () => number = () => Date.now()) {
    this.table = new StatusTable(byId<HTMLTableSectionElement>("status-body"));
    for (const id of ["cpu-memory", "temperature", "network", "cores"] as const) {
      const host = byId(`chart-${id}`);
      this.charts.set(id, new ChartView(host, host.dataset["unit"] ?? ""));
    }
    const range = byId<HTMLSelectElement>("range-select");
    range.value = String(this.rangeSeconds);
    range.addEventListener("change", () => {
      this.rangeSeconds = Number(range.value);
      this.schedule();
    });
    const picker = byId<HTMLSelectElement>("machine-picker");
    picker.addEventListener("change", () => {
      this.machine = picker.value;
      this.schedule();
    });
    byId("csv-export").addEventListener("click", () => this.downloadCsv());
    const observer = new ResizeObserver(() => {
      for (const c of this.charts.values()) c.resize();
    });
    observer.observe(byId("charts"));
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      for (const c of this.charts.values()) c.restyle();
      this.schedule();
    });
    // Ages and staleness move with the clock even when no message arrives.
    setInterval(() => this.schedule(), 1000);
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
    this.renderLink();
    this.renderMachines();
    this.renderCards();
    this.renderCharts();
    this.renderProcesses();
    this.table.update(this.store, now);
    this.renderBanner(now);
    this.renderCounters();
    queueMicrotask(() =>
      queueMicrotask(() => {
        const dt = performance.now() - t0;
        this.redrawTimings.add(dt);
        this.frameTimings.add(dt + applied);
      }),
    );
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
    };
  }

  resetTimings(): void {
    this.applyTimings.clear();
    this.redrawTimings.clear();
    this.frameTimings.clear();
  }

  /** CSV of the charted history in view for the selected machine. */
  csv(): string {
    return toCsv(this.lastTables);
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
    el.dataset["state"] = this.linkState;
    setText(el, this.linkState);
    setText(byId("link-detail"), this.linkDetail);
    const button = byId<HTMLButtonElement>("connect-button");
    const connected = this.linkState !== "disconnected" && this.linkState !== "error";
    setText(button, connected ? "Disconnect" : "Connect");
    button.dataset["action"] = connected ? "disconnect" : "connect";
    const hello = this.store.hello;
    setText(byId("hostname"), hello ? `${hello.hostname} · bridge ${hello.version}` : "");
  }

  private renderMachines(): void {
    const list = machines(this.store);
    if (!list.includes(this.machine)) {
      const preferred = this.store.hello?.hostname;
      this.machine = preferred !== undefined && list.includes(preferred) ? preferred : (list[0] ?? "");
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
      const el = byId(`card-${card.id}`);
      setText(el.querySelector(".label") as HTMLElement, card.label);
      setText(el.querySelector(".value") as HTMLElement, formatValue(card.value, card.unit));
      const cls = `card ${levelClass(card.level)}`;
      if (el.className !== cls) el.className = cls;
      el.dataset["level"] = levelName(card.level);
      el.dataset["value"] = card.value === undefined ? "" : String(card.value);
    }
  }

  private renderCharts(): void {
    const to = newestTime(this.store, this.machine);
    const from = to - this.rangeSeconds;
    const specs = chartSpecs(this.store, this.machine);
    const tables: Table[] = specs.map((spec) =>
      Number.isFinite(to)
        ? joinSeries(spec.series, from)
        : { labels: spec.series.map((s) => s.label), t: new Float64Array(0), columns: spec.series.map(() => []) },
    );
    // The x axis spans the history in view: while less than the range is held, it starts at the
    // oldest sample instead of leaving most of the chart empty.
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of tables) if (t.t.length > 0 && (t.t[0] as number) < oldest) oldest = t.t[0] as number;
    const left = Number.isFinite(oldest) ? Math.min(Math.max(from, oldest), to - MIN_SPAN_SECONDS) : from;
    specs.forEach((spec, i) => {
      this.charts.get(spec.id)?.update(tables[i]!, Number.isFinite(left) ? left : 0, Number.isFinite(to) ? to : 1);
    });
    this.lastTables = tables;
  }

  private renderProcesses(): void {
    const body = byId<HTMLTableSectionElement>("processes-body");
    const list = processes(this.store, this.machine);
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
    const alerts = this.store.alerts();
    const signature = alerts
      .map((e) => `${e.latest?.level}|${e.hardwareId}|${e.name}|${e.latest?.message}|${isStale(e, now)}`)
      .join("\n");
    if (banner.dataset["signature"] === signature) return;
    banner.dataset["signature"] = signature;
    banner.hidden = alerts.length === 0;
    banner.dataset["level"] = alerts.length ? levelName(alerts[0]?.latest?.level) : "";
    banner.replaceChildren(
      ...alerts.map((e) => {
        const item = document.createElement("div");
        item.className = `alert ${levelClass(e.latest?.level)}`;
        item.dataset["testid"] = "alert-item";
        item.dataset["name"] = e.name;
        item.dataset["level"] = levelName(e.latest?.level);
        const stale = isStale(e, now) ? " (stale)" : "";
        item.textContent = `${levelName(e.latest?.level)} ${e.name} [${e.hardwareId}]: ${e.latest?.message ?? ""}${stale}`;
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
    setText(byId("last-problem"), c.lastMalformed ? `last malformed: ${c.lastMalformed}` : "");
  }
}
