// Range queries of the bridge's durable history (capability `query`), pure: assembling the parts
// of an answer, turning it into chart rows (average line plus min/max band), joining the live
// samples that arrived after it, and breaking lines where data is missing.

import type { Range } from "./protocol";

/** The chart ranges offered, in seconds (the custom range is chosen apart). */
export const RANGE_CHOICES: readonly [number, string][] = [
  [300, "5 min"],
  [3600, "1 h"],
  [21600, "6 h"],
  [86400, "24 h"],
  [604800, "7 d"],
  [2592000, "30 d"],
];

/** A whole answer: every point of the range, `null` where it held no data. */
export interface RangeResult {
  hardwareId: string;
  name: string;
  tier: Range["tier"];
  t0: number;
  step: number;
  points: number;
  values: Record<string, { min: (number | null)[]; avg: (number | null)[]; max: (number | null)[] }>;
}

/** Collects the parts of one answer (same id, any order); done when every part came in. */
export class RangeAssembler {
  private readonly got = new Set<number>();
  private result: RangeResult | undefined;

  /** Adds a part; returns the whole answer once the last part is in. */
  add(part: Range): RangeResult | undefined {
    if (this.result === undefined) {
      this.result = { hardwareId: part.hardware_id, name: part.name, tier: part.tier, t0: part.t0, step: part.step, points: part.points, values: {} };
    }
    const r = this.result;
    if (this.got.has(part.part)) return undefined;
    this.got.add(part.part);
    for (const [key, v] of Object.entries(part.values)) {
      let into = r.values[key];
      if (into === undefined) {
        const empty = () => new Array<number | null>(r.points).fill(null);
        into = r.values[key] = { min: empty(), avg: empty(), max: empty() };
      }
      for (let j = 0; j < v.avg.length && part.start + j < r.points; j++) {
        into.min[part.start + j] = v.min[j] ?? null;
        into.avg[part.start + j] = v.avg[j] ?? null;
        into.max[part.start + j] = v.max[j] ?? null;
      }
    }
    return this.got.size >= part.parts ? r : undefined;
  }
}

/** Rows to draw: x times, and per series its line with, where a point stands for many samples, its band. */
export interface Rows {
  t: number[];
  lines: (number | null)[][];
  /** Per series: [min, max] columns, or undefined where the series has no band. */
  bands: ([(number | null)[], (number | null)[]] | undefined)[];
}

/** A series drawn from range answers: which answer (by status) and which key. */
export interface RangeSeries {
  result: RangeResult | undefined;
  key: string;
}

/**
 * Rows from range answers: one row per point (at the point's middle), the average as the line and
 * the min/max as its band where the point's min and max differ (it stands for several samples).
 * Several answers (statuses) of one query share t0/step, so their points line up; a series whose
 * answer is missing is all null.
 */
export function rangeRows(series: RangeSeries[]): Rows {
  const first = series.find((s) => s.result !== undefined)?.result;
  if (first === undefined) return { t: [], lines: series.map(() => []), bands: series.map(() => undefined) };
  const t = Array.from({ length: first.points }, (_, i) => first.t0 + (i + 0.5) * first.step);
  const lines: (number | null)[][] = [];
  const bands: Rows["bands"] = [];
  for (const s of series) {
    const v = s.result?.values[s.key];
    if (v === undefined || s.result?.points !== first.points) {
      lines.push(new Array<number | null>(t.length).fill(null));
      bands.push(undefined);
      continue;
    }
    lines.push(v.avg.slice());
    const spread = v.min.some((lo, i) => lo !== null && v.max[i] !== null && lo !== v.max[i]);
    bands.push(spread ? [v.min.slice(), v.max.slice()] : undefined);
  }
  return { t, lines, bands };
}

/** Appends live samples (times after the rows' last) as rows of their own; their band is the value. */
export function appendLive(rows: Rows, t: ArrayLike<number>, columns: ArrayLike<number>[]): Rows {
  const last = rows.t.length > 0 ? (rows.t[rows.t.length - 1] as number) : Number.NEGATIVE_INFINITY;
  const out: Rows = { t: rows.t.slice(), lines: rows.lines.map((l) => l.slice()), bands: rows.bands.map((b) => (b ? [b[0].slice(), b[1].slice()] : undefined)) };
  for (let i = 0; i < t.length; i++) {
    const ti = t[i] as number;
    if (!(ti > (out.t.length > 0 ? (out.t[out.t.length - 1] as number) : last))) continue;
    out.t.push(ti);
    out.lines.forEach((line, c) => {
      const v = columns[c]?.[i];
      const x = v === undefined || Number.isNaN(v) ? null : v;
      line.push(x);
      const b = out.bands[c];
      if (b) {
        b[0].push(x);
        b[1].push(x);
      }
    });
  }
  return out;
}

/** The typical spacing of `t` (the median of its steps), or undefined with fewer than 3 rows. */
export function typicalPeriod(t: ArrayLike<number>): number | undefined {
  if (t.length < 3) return undefined;
  const steps: number[] = [];
  for (let i = 1; i < t.length; i++) steps.push((t[i] as number) - (t[i - 1] as number));
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)];
}

/**
 * Breaks lines where data is missing: wherever two rows are more than `factor` times the typical
 * period apart, a row of nulls is inserted between them, so uPlot draws a break (it spans no
 * null, see the chart's spanGaps: false).
 */
export function insertGaps(rows: Rows, factor = 2, period = typicalPeriod(rows.t)): Rows {
  if (period === undefined || !(period > 0)) return rows;
  const out: Rows = { t: [], lines: rows.lines.map(() => []), bands: rows.bands.map((b) => (b ? [[], []] : undefined)) };
  for (let i = 0; i < rows.t.length; i++) {
    const ti = rows.t[i] as number;
    if (i > 0) {
      const prev = rows.t[i - 1] as number;
      if (ti - prev > factor * period) {
        out.t.push((prev + ti) / 2);
        out.lines.forEach((l) => l.push(null));
        out.bands.forEach((b) => b && (b[0].push(null), b[1].push(null)));
      }
    }
    out.t.push(ti);
    out.lines.forEach((l, c) => l.push(rows.lines[c]?.[i] ?? null));
    out.bands.forEach((b, c) => {
      const src = rows.bands[c];
      if (b && src) {
        b[0].push(src[0][i] ?? null);
        b[1].push(src[1][i] ?? null);
      }
    });
  }
  return out;
}

/** The query to send for one status: the range [from, to] at `points` points (1..5000). */
export function queryBody(hardwareId: string, name: string, from: number, to: number, width: number, keys: string[]): Record<string, unknown> {
  const points = Math.max(1, Math.min(5000, Math.round(width)));
  return { type: "query", hardware_id: hardwareId, name, from, to, points, keys: keys.slice(0, 256) };
}

/**
 * The bridge's CSV export of its durable history (GET /history.csv, docs/protocol.md "HTTP"):
 * every status of machine `hardwareId` over [from, to], or only status `name` when given,
 * relative to the page's own URL, with the page's ?token= where it has one.
 */
export function historyCsvUrl(page: string, hardwareId: string, from: number, to: number, token: string | null, name?: string): string {
  const url = new URL("history.csv", page);
  url.search = "";
  url.hash = "";
  url.searchParams.set("hardware_id", hardwareId);
  if (name !== undefined) url.searchParams.set("status", name);
  url.searchParams.set("from", String(Math.floor(from)));
  url.searchParams.set("to", String(Math.ceil(to)));
  if (token !== null && token !== "") url.searchParams.set("token", token);
  return url.href;
}

/** The charts' window in the URL: `range=<seconds>` (one of RANGE_CHOICES), `window=<from>-<to>` for a fixed one. */
export interface ViewWindow {
  range: number;
  zoom: readonly [number, number] | undefined;
}

export const DEFAULT_RANGE = 300;

export function windowFromParams(params: URLSearchParams): ViewWindow {
  const r = Number(params.get("range"));
  const range = RANGE_CHOICES.some(([v]) => v === r) ? r : DEFAULT_RANGE;
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(params.get("window") ?? "");
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2]) : NaN;
  return { range, zoom: Number.isFinite(a) && Number.isFinite(b) && b > a ? [a, b] : undefined };
}

export function windowToParams(w: ViewWindow, params: URLSearchParams): void {
  if (w.range === DEFAULT_RANGE) params.delete("range");
  else params.set("range", String(w.range));
  if (w.zoom === undefined) params.delete("window");
  else params.set("window", `${Math.floor(w.zoom[0])}-${Math.ceil(w.zoom[1])}`);
}
