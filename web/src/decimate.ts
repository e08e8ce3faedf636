// Thins a table to at most about `maxPoints` rows for drawing, keeping each series' minimum and
// maximum in every bucket so spikes stay visible. A chart a few hundred pixels wide gains nothing
// from an hour of 1 Hz samples (or 5 min at 10 Hz) drawn one by one, and uPlot's paint time grows
// with the points it is given. The CSV export uses the full table, never this.
import type { Table } from "./metrics";

export interface ChartData {
  t: Float64Array;
  columns: (number | null)[][];
}

const toNullable = (col: Float64Array): (number | null)[] => Array.from(col, (x) => (Number.isNaN(x) ? null : x));

export function decimate(table: Table, maxPoints: number): ChartData {
  const n = table.t.length;
  if (n <= maxPoints || maxPoints < 4) return { t: table.t, columns: table.columns.map(toNullable) };
  const bucket = Math.ceil(n / Math.floor(maxPoints / 2));
  const rows = Math.ceil(n / bucket) * 2;
  const t = new Float64Array(rows);
  const columns = table.columns.map(() => new Array<number | null>(rows).fill(null));
  let r = 0;
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    t[r] = table.t[start] as number;
    t[r + 1] = table.t[end - 1] as number;
    table.columns.forEach((col, c) => {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      let loAt = -1;
      let hiAt = -1;
      for (let i = start; i < end; i++) {
        const v = col[i] as number;
        if (Number.isNaN(v)) continue;
        if (v < lo) (lo = v), (loAt = i);
        if (v > hi) (hi = v), (hiAt = i);
      }
      if (loAt < 0) return;
      // In time order: whichever of the minimum and maximum came first is drawn first.
      const out = columns[c]!;
      out[r] = loAt <= hiAt ? lo : hi;
      out[r + 1] = loAt <= hiAt ? hi : lo;
    });
    r += 2;
  }
  // A one-sample last bucket would repeat its time; uPlot needs strictly sorted x, so drop it.
  if (r >= 2 && t[r - 1] === t[r - 2]) {
    r -= 1;
    for (const col of columns) col.length = r;
  }
  // The loop filled two rows per bucket (all `rows`), so the columns are already r long.
  return { t: t.subarray(0, r), columns };
}
