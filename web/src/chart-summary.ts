// A chart's text summary (pure): what a screen reader, or anyone who cannot tell the lines apart,
// gets instead of the canvas: per series its latest value and its range in view.
import type { Table } from "./metrics";

export function summarize(table: Table, format: (v: number) => string): string {
  if (table.t.length === 0 || table.labels.length === 0) return "No samples in view.";
  const parts: string[] = [];
  table.labels.forEach((label, i) => {
    const col = table.columns[i];
    if (col === undefined) return;
    let min = Infinity;
    let max = -Infinity;
    let last: number | undefined;
    for (const v of col) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      last = v;
    }
    if (last === undefined) parts.push(`${label}: no values`);
    else parts.push(`${label}: now ${format(last)}, range ${format(min)} to ${format(max)}`);
  });
  return `${parts.join("; ")}. ${table.t.length} samples.`;
}
