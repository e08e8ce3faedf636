// One robot's tile state (pure): the latest status per (hardware_id, name), from the same
// messages the full page gets, reduced to what a tile shows: worst level, alert count, last seen,
// online or offline.
import type { DataMessage, Status } from "../protocol";
import type { LinkState } from "../connection";
import { formatAge, levelName } from "../format";

/** Live but silent this long: shown offline (system_metrics publishes every second). */
export const SILENT_AFTER_MS = 10_000;

// How bad each level is, for "worst": ERROR above STALE (a status that stopped reporting is
// less certain news than one reporting an error), STALE above WARN.
const SEVERITY = [0, 1, 3, 2] as const;

export class RobotSummary {
  hostname: string | undefined;
  lastMessageAt: number | undefined;
  private readonly latest = new Map<string, Status>();

  apply(msg: DataMessage, now: number): void {
    this.lastMessageAt = now;
    if (msg.type === "hello") {
      // A new session: what the last one showed may be gone; the snapshot refills it.
      this.hostname = msg.hostname;
      this.latest.clear();
      return;
    }
    if (msg.type === "snapshot") {
      for (const s of msg.statuses) if (s.latest !== undefined) this.put(s.latest);
      return;
    }
    // Alert state and request replies are not a robot's statuses.
    if (msg.type === "diagnostics") for (const s of msg.statuses) this.put(s);
  }

  private put(s: Status): void {
    this.latest.set(`${s.hardware_id}\u0000${s.name}`, s);
  }

  get statusCount(): number {
    return this.latest.size;
  }

  /** undefined while nothing has been received. */
  get worstLevel(): number | undefined {
    let worst: number | undefined;
    for (const s of this.latest.values()) {
      if (worst === undefined || severity(s.level) > severity(worst)) worst = s.level;
    }
    return worst;
  }

  /** Statuses that are not OK (WARN, ERROR or STALE), as the full page's alert banner lists them. */
  get alertCount(): number {
    let n = 0;
    for (const s of this.latest.values()) if (s.level !== 0) n += 1;
    return n;
  }
}

function severity(level: number): number {
  return SEVERITY[level] ?? 3;
}

export interface TileModel {
  url: string;
  name: string;
  level: string; // "OK", "WARN", "ERROR", "STALE" or "—"
  online: boolean;
  lastSeen: string; // "never", "now", "12 s ago"
  alerts: number;
  detail: string; // why it is offline, when it is
}

export function tileModel(url: string, label: string, s: RobotSummary, link: LinkState, linkDetail: string,
  now: number): TileModel {
  const age = s.lastMessageAt === undefined ? undefined : now - s.lastMessageAt;
  const silent = age !== undefined && age > SILENT_AFTER_MS;
  const online = link === "live" && !silent;
  let detail = "";
  if (!online) detail = link === "live" ? "no data" : linkDetail || link;
  return {
    url,
    name: s.hostname ?? label,
    level: levelName(s.worstLevel),
    online,
    lastSeen: age === undefined ? "never" : age < 1000 ? "now" : `${formatAge(age)} ago`,
    alerts: s.alertCount,
    detail,
  };
}
