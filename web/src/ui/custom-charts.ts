// The chart panels the user added from status detail panes: any numeric key of any status. The
// layout (state.customCharts) is kept in localStorage; each panel draws like the machine's charts
// (the bridge's durable history where it offers `query`, else the live samples).
import { LAYOUT_KEY, parseLayout, panelTitle, removePanel, serializeLayout, type CustomPanel } from "../chart-layout";
import { chartWindow, tableInView } from "../chart-window";
import { chartSpecs, type SeriesSpec } from "../metrics";
import type { PageState } from "../page-state";
import type { RequestClient } from "../requests";
import { ChartView } from "./chart";
import { h } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { RangeFetcher } from "./range-fetcher";
import { Scope } from "./scope";

interface Shown {
  panel: CustomPanel;
  figure: HTMLElement;
  view: ChartView;
}

export class CustomChartsView implements Part {
  readonly name = "custom-charts";
  private readonly scope = new Scope();
  private readonly shown = new Map<number, Shown>();
  private readonly list = h("div", { class: "custom-charts", "data-testid": "custom-charts" });
  private readonly fetcher: RangeFetcher | undefined;
  private layoutDrawn: readonly CustomPanel[] | undefined;
  private drawnAt = -Infinity;
  private timerSet = false;

  constructor(host: HTMLElement, private readonly state: PageState, private readonly frame: FrameScheduler, requests?: RequestClient) {
    const s = this.scope;
    s.mount(host, this.list);
    let stored: string | null = null;
    try {
      stored = localStorage.getItem(LAYOUT_KEY);
    } catch {
      // No storage: the panels last until the page is closed.
    }
    state.customCharts.set(parseLayout(stored));
    if (requests !== undefined) {
      const fetcher = (this.fetcher = new RangeFetcher(state, requests, () => frame.invalidate(this)));
      s.add(() => fetcher.dispose());
    }
    s.watch(state.customCharts, (layout) => {
      try {
        localStorage.setItem(LAYOUT_KEY, serializeLayout(layout));
      } catch {
        // Not kept across reloads.
      }
      frame.invalidate(this);
    });
    s.onAny([state.range, state.zoom, state.machine, state.capabilities], () => {
      this.drawnAt = -Infinity;
      frame.invalidate(this);
    });
    s.watch(state.data, () => frame.invalidate(this));
    s.add(frame.add(this));
    s.add(() => {
      for (const p of this.shown.values()) p.view.dispose();
    });
  }

  render(): void {
    const layout = this.state.customCharts.value;
    if (layout !== this.layoutDrawn) {
      this.layoutDrawn = layout;
      this.sync(layout);
      this.drawnAt = -Infinity;
    }
    // At most one redraw a second: each panel's data is a minute-to-month window.
    const nowMs = performance.now();
    if (nowMs - this.drawnAt < 1000) {
      if (!this.timerSet) {
        this.timerSet = true;
        this.scope.timeout(() => {
          this.timerSet = false;
          this.frame.invalidate(this);
        }, 1000 - (nowMs - this.drawnAt));
      }
      return;
    }
    this.drawnAt = nowMs;
    const { store, machine, range } = this.state;
    const queryable = this.fetcher !== undefined && this.state.capabilities.value.includes("query");
    for (const p of this.shown.values()) {
      const series: SeriesSpec[] = [];
      for (const s of p.panel.series) {
        const entry = store.find(s.hardwareId, s.name);
        if (entry !== undefined) series.push({ entry, key: s.key, label: `${s.key} (${s.name})` });
      }
      if (series.length === 0) continue;
      if (queryable) this.fetcher?.draw(`panel-${p.panel.id}`, series, p.view);
      else {
        const w = chartWindow(store, machine.value, range.value, chartSpecs(store, machine.value));
        const win = w ?? { from: -Infinity, left: 0, to: 1 };
        const table = tableInView(series, w ?? win);
        p.view.update(table, w?.left ?? table.t[0] ?? 0, w?.to ?? table.t[table.t.length - 1] ?? 1);
      }
    }
  }

  dispose(): void {
    this.scope.dispose();
  }

  /** Builds the panels added, drops the ones removed (keeping the others' plots). */
  private sync(layout: readonly CustomPanel[]): void {
    const ids = new Set(layout.map((p) => p.id));
    for (const [id, p] of this.shown) {
      if (ids.has(id)) continue;
      p.view.dispose();
      p.figure.remove();
      this.fetcher?.forget(`panel-${id}`);
      this.shown.delete(id);
    }
    for (const panel of layout) {
      const have = this.shown.get(panel.id);
      if (have !== undefined && have.panel === panel) continue;
      if (have !== undefined) {
        have.view.dispose();
        have.figure.remove();
      }
      const plot = h("div", { class: "chart", "data-testid": `custom-chart-${panel.id}`, role: "img", "aria-label": panelTitle(panel) });
      const remove = h("button", { type: "button", "data-testid": "custom-chart-remove", title: "Remove this chart" }, "Remove");
      remove.addEventListener("click", () => this.state.customCharts.set(removePanel(this.state.customCharts.value, panel.id)));
      const figure = h("figure", { "data-testid": "custom-chart", "data-panel": panel.id }, h("figcaption", {}, panelTitle(panel), " ", remove), plot);
      this.list.append(figure);
      this.shown.set(panel.id, { panel, figure, view: new ChartView(plot, "", (w) => this.state.zoom.set(w)) });
    }
  }
}
