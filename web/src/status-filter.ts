// The status list's filter and sort (pure), and their form in the page URL, so that a filtered
// view can be bookmarked and shared (issue 11 item 2).
import { severity } from "./levels";
import type { StatusEntry } from "./store";

export type SortKey = "level" | "name" | "age";
export type MinLevel = "all" | "warn" | "error";
export type ListView = "machine" | "tree";

export interface Filter {
  /** Case-insensitive text searched in name, message and hardware_id. */
  text: string;
  min: MinLevel;
  sort: SortKey;
  view: ListView;
}

export const DEFAULT_FILTER: Filter = { text: "", min: "all", sort: "name", view: "machine" };

const SORTS: readonly SortKey[] = ["level", "name", "age"];
const MINS: readonly MinLevel[] = ["all", "warn", "error"];
const VIEWS: readonly ListView[] = ["machine", "tree"];

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The filter in a URL's query (`q`, `level`, `sort`, `view`); anything unknown: the default. */
export function filterFromParams(params: URLSearchParams): Filter {
  return {
    text: params.get("q") ?? "",
    min: pick(params.get("level"), MINS, DEFAULT_FILTER.min),
    sort: pick(params.get("sort"), SORTS, DEFAULT_FILTER.sort),
    view: pick(params.get("view"), VIEWS, DEFAULT_FILTER.view),
  };
}

/** Writes the filter into `params`, leaving defaults out and every other parameter (token) alone. */
export function filterToParams(filter: Filter, params: URLSearchParams): void {
  const set = (key: string, value: string, fallback: string) => {
    if (value === fallback) params.delete(key);
    else params.set(key, value);
  };
  set("q", filter.text, DEFAULT_FILTER.text);
  set("level", filter.min, DEFAULT_FILTER.min);
  set("sort", filter.sort, DEFAULT_FILTER.sort);
  set("view", filter.view, DEFAULT_FILTER.view);
}

/** The lowest severity a filter lets through. */
export function minSeverity(min: MinLevel): number {
  return min === "error" ? severity(2) : min === "warn" ? severity(1) : 0;
}

/** Whether a shown level passes the minimum-level filter. */
export function passesLevel(level: number | undefined, min: MinLevel): boolean {
  const floor = minSeverity(min);
  return floor === 0 || (level !== undefined && severity(level) >= floor);
}

/** Whether any of `fields` contains the search text (case-insensitive; blank matches all). */
export function matchesText(fields: readonly string[], text: string): boolean {
  const needle = text.trim().toLowerCase();
  return needle === "" || fields.some((f) => f.toLowerCase().includes(needle));
}

/** Whether a status passes the filter, given the level it is shown with. */
export function matches(entry: StatusEntry, level: number | undefined, filter: Filter): boolean {
  return (
    passesLevel(level, filter.min) &&
    matchesText([entry.name, entry.hardwareId, entry.latest?.message ?? ""], filter.text)
  );
}

export interface Sortable {
  entry: StatusEntry;
  level: number | undefined;
  /** The entry's name's place in name order (nameRanks), when known: compared instead of the names. */
  rank?: number;
}

/** One collator for every comparison: `localeCompare` sets one up per call, which made sorting
 * 1,000 statuses every frame cost milliseconds (docs/benchmarks.md). Same order as localeCompare. */
const collator = new Intl.Collator();

/**
 * Each name's place in name order (the collator's; names it finds equal share a place), so that a
 * list sorted every frame compares two integers instead of two names: at 1,000 statuses the
 * collator's comparisons were about 1 ms a frame, and names change only when statuses appear.
 */
export function nameRanks(names: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(names)].sort(collator.compare);
  const ranks = new Map<string, number>();
  let rank = 0;
  sorted.forEach((name, i) => {
    if (i > 0 && collator.compare(sorted[i - 1] as string, name) !== 0) rank += 1;
    ranks.set(name, rank);
  });
  return ranks;
}

/** Compares two statuses for `sort`: worst level first, name A–Z, or least recently updated first. */
export function compare(sort: SortKey, a: Sortable, b: Sortable): number {
  const byName =
    a.rank !== undefined && b.rank !== undefined ? a.rank - b.rank : collator.compare(a.entry.name, b.entry.name);
  if (sort === "level") {
    const d = (b.level === undefined ? -1 : severity(b.level)) - (a.level === undefined ? -1 : severity(a.level));
    return d || byName;
  }
  if (sort === "age") return a.entry.updatedMs - b.entry.updatedMs || byName;
  return byName;
}
