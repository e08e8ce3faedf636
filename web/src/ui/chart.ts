// One uPlot chart. The instance is rebuilt only when its series change (another machine, a new
// core or sensor); otherwise each redraw is one setData over the samples in view.
import uPlot from "uplot";
import type { Table } from "../metrics";
import { formatRate } from "../format";
import { decimate } from "../decimate";
import { insertGaps, type Rows } from "../range-data";

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

  /** `onZoom(from, to)` after a drag-select; `onZoom(undefined)` on a double click (reset). */
  constructor(
    private readonly host: HTMLElement,
    private readonly unit: string,
    private readonly onZoom: (w: [number, number] | undefined) => void = () => {},
  ) {
    host.addEventListener("dblclick", this.reset);
  }

  private readonly reset = (): void => this.onZoom(undefined);

  /** Live samples: thinned to about one row per pixel column (each a bucket's min or max). */
  update(table: Table, from: number, to: number): void {
    const drawn = decimate(table, this.plotWidth);
    const rows: Rows = { t: Array.from(drawn.t), lines: drawn.columns, bands: drawn.columns.map(() => undefined) };
    this.draw(table.labels, rows, from, to, table.t.length, "live");
  }

  /**
   * Draws rows (lines, and min/max bands where a point stands for many samples) on [from, to];
   * a gap over twice the typical period is a break.
   */
  draw(labels: string[], rows: Rows, from: number, to: number, points: number, source: string): void {
    this.range = [from, to];
    const gapped = insertGaps(rows);
    const banded = gapped.bands.map((b) => b !== undefined);
    const signature = labels.join("\u0000") + "|" + banded.join(",");
    if (this.plot === undefined || signature !== this.signature) this.rebuild(labels, banded, signature);
    const data: (number | null)[][] = [gapped.t, ...gapped.lines];
    for (const b of gapped.bands) if (b) data.push(b[0], b[1]);
    this.plot?.setData(data as uPlot.AlignedData, true);
    this.points = points;
    this.host.dataset["drawn"] = String(gapped.t.length);
    this.host.dataset["points"] = String(points);
    this.host.dataset["series"] = String(labels.length);
    this.host.dataset["bands"] = String(banded.filter(Boolean).length);
    this.host.dataset["gaps"] = String(gapped.t.length - rows.t.length);
    this.host.dataset["source"] = source;
    this.host.dataset["from"] = String(from);
    this.host.dataset["to"] = String(to);
  }

  /** Plot width in CSS pixels (before the first draw: the container's). */
  get plotWidth(): number {
    return this.plot?.width ?? this.width();
  }

  /** Width of the plotting area (without the axes) in CSS pixels: one query point per pixel. */
  get areaWidth(): number {
    const p = this.plot;
    return p ? Math.max(1, Math.round(p.bbox.width / (window.devicePixelRatio || 1))) : Math.max(1, this.width() - 60);
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
    this.host.removeEventListener("dblclick", this.reset);
    this.plot?.destroy();
    this.plot = undefined;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth || 320));
  }

  private height(): number {
    return window.matchMedia("(max-width: 600px)").matches ? 160 : 200;
  }

  private rebuild(labels: string[], banded: boolean[], signature: string): void {
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
      // Drag-select zooms (the charts ask for that range); the legend shows every series' value
      // at the cursor.
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const a = u.posToVal(u.select.left, "x");
            const b = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (b > a) this.onZoom([a, b]);
          },
        ],
      },
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
          spanGaps: false,
          points: { show: false },
        })),
        ...bandSeries(labels, banded),
      ],
      bands: bandPairs(labels.length, banded),
    };
    this.host.replaceChildren();
    const empty = 1 + labels.length + 2 * banded.filter(Boolean).length;
    this.plot = new uPlot(opts, Array.from({ length: empty }, () => []) as unknown as uPlot.AlignedData, this.host);
  }
}

/** The min and max series of each banded line, after the lines (invisible: the band fills between). */
function bandSeries(labels: string[], banded: boolean[]): uPlot.Series[] {
  const out: uPlot.Series[] = [];
  labels.forEach((label, i) => {
    if (!banded[i]) return;
    out.push({ label: `${label} min`, stroke: "transparent", spanGaps: false, points: { show: false } });
    out.push({ label: `${label} max`, stroke: "transparent", spanGaps: false, points: { show: false } });
  });
  return out;
}

/** uPlot bands: each banded line's max series over its min series, in the line's colour. */
function bandPairs(lines: number, banded: boolean[]): uPlot.Band[] {
  const out: uPlot.Band[] = [];
  let next = 1 + lines;
  banded.forEach((b, i) => {
    if (!b) return;
    const colour = PALETTE[i % PALETTE.length] ?? "#888";
    out.push({ series: [next + 1, next], fill: `${colour}33` });
    next += 2;
  });
  return out;
}
