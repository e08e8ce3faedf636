// Levels as the page shows them (pure). A status is STALE when its publisher said so (level 3)
// or when it has not been updated within the bridge's stale timeout: either way it is shown as
// STALE, never as its last level greyed out (issue 11 item 6).
import type { StatusHistory } from "./ring";
import type { StatusEntry } from "./store";

export const OK = 0;
export const WARN = 1;
export const ERROR = 2;
export const STALE = 3;

/** The stale timeout when the bridge gives none (a version-1 bridge): the page's old 5 s. */
export const DEFAULT_STALE_MS = 5000;

/**
 * How bad a level is, for sorting, filters and roll-up: ERROR > STALE > WARN > OK. STALE ranks
 * above WARN (nothing is known, so a WARN may have become anything) and below ERROR (a known
 * failure is worse than an unknown).
 */
export function severity(level: number): number {
  switch (level) {
    case OK:
      return 0;
    case WARN:
      return 1;
    case STALE:
      return 2;
    default:
      return 3; // ERROR, and anything out of range (the bridge maps those to ERROR already)
  }
}

/** The worse of two levels (undefined: nothing known). */
export function worse(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severity(b) > severity(a) ? b : a;
}

export function isStale(entry: StatusEntry, nowMs: number, staleMs: number): boolean {
  return nowMs - entry.updatedMs > staleMs;
}

/** The level to show: STALE when not updated within `staleMs`, else the status's own. */
export function shownLevel(entry: StatusEntry, nowMs: number, staleMs: number): number | undefined {
  if (entry.latest === undefined) return undefined;
  return isStale(entry, nowMs, staleMs) ? STALE : entry.latest.level;
}

/**
 * Since when (history time, seconds) a status has been at its newest level: the time of the
 * first sample of the run of equal levels that ends with the newest one; undefined without
 * history. From the page's own history only (the durable store's level log is another view).
 */
export function levelSince(history: StatusHistory): number | undefined {
  const n = history.length;
  if (n === 0) return undefined;
  const level = history.levelAt(n - 1);
  let i = n - 1;
  while (i > 0 && history.levelAt(i - 1) === level) i -= 1;
  return history.timeAt(i);
}

/**
 * When a status's current level began: the last change a live message showed, else its history
 * (capability "interest": a status whose values nobody asked for gets no history points while it
 * is so, and its level may change meanwhile; every live message still has its level).
 */
export function entryLevelSince(entry: StatusEntry): number | undefined {
  return entry.levelChangedT ?? levelSince(entry.history);
}

/** A level's mark, so that no level is told by colour alone (issue 11 item 8). */
export function levelIcon(level: number | undefined): string {
  switch (level) {
    case OK:
      return "✓";
    case WARN:
      return "▲";
    case ERROR:
      return "✕";
    case STALE:
      return "?";
    default:
      return "·";
  }
}
