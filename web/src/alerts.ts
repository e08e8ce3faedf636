// What the alert banner lists (pure): every status shown as WARN, ERROR or STALE, with two
// merges so that one fault is one alert (issue 11 item 4):
// - a machine whose statuses have all gone silent is one "machine offline" alert, not a row per
//   status;
// - an aggregator parent is not listed when a child under it is (the child says what is wrong),
//   and an aggregator leaf is not listed beside the raw status it copies.
import { STALE, isStale, severity, shownLevel } from "./levels";
import type { StatusEntry, Store } from "./store";
import { isPathName } from "./tree";

export interface Alert {
  /** Stable identity: the bridge keeps acknowledgements and mutes by it. */
  key: string;
  kind: "status" | "offline";
  level: number;
  hardwareId: string;
  /** The status name ("" for a machine). */
  name: string;
  message: string;
  /** Statuses it stands for (a machine's count). */
  count: number;
}

export function statusAlertKey(hardwareId: string, name: string): string {
  return `status:${hardwareId}\u0000${name}`;
}

export function offlineAlertKey(hardwareId: string): string {
  return `offline:${hardwareId}`;
}

export function activeAlerts(store: Store, nowMs: number, staleMs: number): Alert[] {
  // Machines whose every status timed out (a publisher's own level 3 is not silence).
  const silent = new Map<string, { count: number; newest: number }>();
  const heard = new Set<string>();
  for (const e of store.entries.values()) {
    if (e.hardwareId === "" || e.latest === undefined) continue;
    if (isStale(e, nowMs, staleMs)) {
      const m = silent.get(e.hardwareId) ?? { count: 0, newest: -Infinity };
      m.count += 1;
      m.newest = Math.max(m.newest, e.updatedMs);
      silent.set(e.hardwareId, m);
    } else heard.add(e.hardwareId);
  }
  const out: Alert[] = [];
  for (const [hardwareId, m] of silent) {
    if (heard.has(hardwareId)) continue;
    out.push({
      key: offlineAlertKey(hardwareId),
      kind: "offline",
      level: STALE,
      hardwareId,
      name: "",
      message: `machine offline: no status for ${Math.round((nowMs - m.newest) / 1000)} s`,
      count: m.count,
    });
  }
  const candidates: { e: StatusEntry; level: number }[] = [];
  for (const e of store.entries.values()) {
    if (e.hardwareId !== "" && silent.has(e.hardwareId) && !heard.has(e.hardwareId)) continue;
    const level = shownLevel(e, nowMs, staleMs);
    if (level === undefined || level === 0) continue;
    candidates.push({ e, level });
  }
  const alertingPaths = candidates.filter((c) => isPathName(c.e.name)).map((c) => c.e.name);
  const rawNames = new Set(candidates.filter((c) => !isPathName(c.e.name)).map((c) => c.e.name));
  for (const { e, level } of candidates) {
    if (isPathName(e.name)) {
      if (alertingPaths.some((p) => p.startsWith(`${e.name}/`))) continue;
      const leaf = e.name.slice(e.name.lastIndexOf("/") + 1);
      if (rawNames.has(leaf)) continue;
    }
    const stale = isStale(e, nowMs, staleMs);
    out.push({
      key: statusAlertKey(e.hardwareId, e.name),
      kind: "status",
      level,
      hardwareId: e.hardwareId,
      name: e.name,
      message: stale ? `no update for ${Math.round((nowMs - e.updatedMs) / 1000)} s` : (e.latest?.message ?? ""),
      count: 1,
    });
  }
  return out.sort((a, b) => severity(b.level) - severity(a.level) || a.hardwareId.localeCompare(b.hardwareId) || a.name.localeCompare(b.name));
}
