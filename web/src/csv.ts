// CSV export of the history in view: one row per time, one column per charted series.
import type { Table } from "./metrics";

/**
 * A text cell, by the rule the bridge's /history.csv also follows (chedweb_bridge/csv_cells.py;
 * cases both test suites check in test/contract/csv_cells.json): text a spreadsheet would run as
 * a formula (first character = + - @ TAB or CR; OWASP, CSV injection) gets a leading apostrophe,
 * since status names and keys come from any node on the robot; then a cell holding a comma,
 * quote, CR or LF is quoted with its quotes doubled (RFC 4180). Numbers never pass through here:
 * "-1.5" must stay a number.
 */
export function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Joins several tables (each with its own time axis) into CSV text with columns
 * `time_iso,time_unix,<series...>`; a series with no sample at a row's time leaves its cell empty.
 */
export function toCsv(tables: Table[]): string {
  const header = ["time_iso", "time_unix", ...tables.flatMap((t) => t.labels)];
  const rows = new Map<number, string[]>();
  const width = header.length - 2;
  let offset = 0;
  for (const table of tables) {
    for (let i = 0; i < table.t.length; i++) {
      const t = table.t[i] as number;
      let row = rows.get(t);
      if (row === undefined) rows.set(t, (row = new Array<string>(width).fill("")));
      table.columns.forEach((col, c) => {
        const v = col[i];
        if (v !== undefined && !Number.isNaN(v)) row[offset + c] = String(v);
      });
    }
    offset += table.labels.length;
  }
  const lines = [header.map(csvField).join(",")];
  for (const t of [...rows.keys()].sort((a, b) => a - b)) {
    const iso = new Date(t * 1000).toISOString();
    lines.push([iso, String(t), ...(rows.get(t) ?? [])].join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
