// The charts' x range and the samples in it (pure): shared by the charts view and the CSV export,
// so the file holds exactly what the charts show.
import { emptyTable, joinSeries, newestTime, type ChartSpec, type SeriesSpec, type Table } from "./metrics";
import type { Store } from "./store";

/** Narrowest x axis, so the first few samples do not fill the whole width. */
export const MIN_SPAN_SECONDS = 30;

/** `from`: the range's start; `left`: the axis's left edge (see chartWindow); `to`: the newest sample. */
export interface ChartWindow {
  from: number;
  left: number;
  to: number;
}

/** The x range of every chart: the time window, clipped to the history held; none without samples. */
export function chartWindow(
  store: Store,
  machine: string,
  rangeSeconds: number,
  specs: ChartSpec[],
): ChartWindow | undefined {
  const to = newestTime(store, machine);
  if (!Number.isFinite(to)) return undefined;
  const from = to - rangeSeconds;
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

/** The series' samples from the window's start, or no rows when there is no window (no samples). */
export function tableInView(series: SeriesSpec[], w: ChartWindow | undefined): Table {
  return w ? joinSeries(series, w.from) : emptyTable(series.map((s) => s.label));
}
