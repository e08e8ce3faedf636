// One uPlot chart. The instance is rebuilt only when its series change (another machine, a new
// core or sensor); otherwise each redraw is one setData over the samples in view.
import uPlot from "uplot";
import type { Table } from "../metrics";
import { formatRate } from "../format";
import { decimate } from "../decimate";

const PALETTE = ["#2f7ed8", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285", "#f08c00", "#5c940d"];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export class ChartView {
  private plot: uPlot | undefined;
  private signature = "";
  private range: [number, number] = [0, 1];
  /** Samples in view after the last redraw (exposed to tests as data-points). */
  points = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly unit: string,
  ) {}

  update(table: Table, from: number, to: number): void {
    this.range = [from, to];
    const signature = table.labels.join("\u0000");
    if (this.plot === undefined || signature !== this.signature) this.rebuild(table.labels, signature);
    // About one row per pixel column (each a bucket's min or max): what the canvas can show.
    const drawn = decimate(table, this.plotWidth);
    const data: uPlot.AlignedData = [drawn.t, ...drawn.columns];
    this.plot?.setData(data, true);
    this.points = table.t.length;
    this.host.dataset["drawn"] = String(drawn.t.length);
    this.host.dataset["points"] = String(this.points);
    this.host.dataset["series"] = String(table.labels.length);
  }

  /** Plot width in CSS pixels (before the first draw: the container's). */
  get plotWidth(): number {
    return this.plot?.width ?? this.width();
  }

  /** Follows the container's width (phone rotation, window resize). */
  resize(): void {
    const width = this.width();
    if (this.plot && width !== this.plot.width) this.plot.setSize({ width, height: this.height() });
  }

  /** Colours come from CSS variables: rebuild when the colour scheme changes. */
  restyle(): void {
    this.signature = "";
  }

  dispose(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth || 320));
  }

  private height(): number {
    return window.matchMedia("(max-width: 600px)").matches ? 160 : 200;
  }

  private rebuild(labels: string[], signature: string): void {
    this.plot?.destroy();
    this.signature = signature;
    const axis = cssVar("--axis", "#666");
    const grid = cssVar("--grid", "rgba(128,128,128,0.2)");
    const fmt = this.unit === "B/s" ? (v: number) => formatRate(v) : (v: number) => `${+v.toFixed(1)}`;
    const opts: uPlot.Options = {
      width: this.width(),
      height: this.height(),
      // uPlot's own microtask batching plus our rAF coalescing: at most one paint per frame.
      pxAlign: 0,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        x: { time: true, range: () => this.range },
        y: this.unit === "%" ? { range: [0, 100] } : { auto: true },
      },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } },
        {
          stroke: axis,
          grid: { stroke: grid },
          ticks: { stroke: grid },
          size: this.unit === "B/s" ? 84 : 45,
          values: (_u, splits) => splits.map(fmt),
        },
      ],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length] ?? "#888",
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
    };
    this.host.replaceChildren();
    this.plot = new uPlot(opts, [new Float64Array(0), ...labels.map(() => [])], this.host);
  }
}
