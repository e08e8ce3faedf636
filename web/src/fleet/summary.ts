// One robot's tile state (pure): the latest status per (hardware_id, name), from the same
// messages the full page gets, reduced to what a tile shows: worst level, alert count, last seen,
// online or offline.
import { EMPTY_BOOK, bookFromMessage, unhandled, type AlertBook } from "../alert-book";
import { statusAlertKey, type Alert } from "../alerts";
import type { DataMessage, LiveStatus } from "../protocol";
import type { LinkState } from "../connection";
import { formatAge, levelName } from "../format";

/** Live but silent this long: shown offline (system_metrics publishes every second). */
export const SILENT_AFTER_MS = 10_000;

// How bad each level is, for "worst": ERROR above STALE (a status that stopped reporting is
// less certain news than one reporting an error), STALE above WARN.
const SEVERITY = [0, 1, 3, 2] as const;

/**
 * A tile shows levels, messages and ages, never a status's values: once its snapshot is in, it
 * tells a bridge that offers capability "interest" so, and the bridge leaves every value out of
 * its live messages (docs/protocol.md, "Interest"). The request to send after `msg`, if any.
 */
export function fleetInterest(msg: DataMessage, capabilities: readonly string[]): string | undefined {
  if (msg.type !== "snapshot" || msg.part !== msg.parts - 1 || !capabilities.includes("interest")) return undefined;
  return JSON.stringify({ type: "interest", id: 1, statuses: [] });
}

export class RobotSummary {
  hostname: string | undefined;
  /** What the robot's bridge offers (its hello). */
  capabilities: readonly string[] = [];
  lastMessageAt: number | undefined;
  private readonly latest = new Map<string, LiveStatus>();
  // The bridge's acknowledgements and mutes (alert_state), as the robot's own page counts them.
  private book: AlertBook = EMPTY_BOOK;

  apply(msg: DataMessage, now: number): void {
    this.lastMessageAt = now;
    if (msg.type === "hello") {
      // A new session: what the last one showed may be gone; the snapshot refills it.
      this.hostname = msg.hostname;
      this.capabilities = msg.capabilities ?? [];
      this.latest.clear();
      this.book = EMPTY_BOOK;
      return;
    }
    if (msg.type === "alert_state") {
      this.book = bookFromMessage(msg, now);
      return;
    }
    if (msg.type === "snapshot") {
      for (const s of msg.statuses) if (s.latest !== undefined) this.put(s.latest);
      return;
    }
    // Alert state and request replies are not a robot's statuses.
    if (msg.type === "diagnostics") for (const s of msg.statuses) this.put(s);
  }

  private put(s: LiveStatus): void {
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

  /** Statuses that are not OK (WARN, ERROR or STALE), keyed as the full page keys its alerts. */
  private alerts(): Alert[] {
    const out: Alert[] = [];
    for (const s of this.latest.values()) {
      if (s.level === 0) continue;
      out.push({ key: statusAlertKey(s.hardware_id, s.name), kind: "status", level: s.level,
        hardwareId: s.hardware_id, name: s.name, message: s.message, count: 1 });
    }
    return out;
  }

  /** Alerts that want attention (not acknowledged at their level, not muted), and the others. */
  alertCounts(now: number): { open: number; handled: number } {
    const all = this.alerts();
    const open = unhandled(all, this.book, now).length;
    return { open, handled: all.length - open };
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
  alerts: number; // not acknowledged or muted
  handled: number; // acknowledged or muted on the bridge
  detail: string; // why it is offline, when it is
}

export function tileModel(url: string, label: string, s: RobotSummary, link: LinkState, linkDetail: string,
  now: number): TileModel {
  const age = s.lastMessageAt === undefined ? undefined : now - s.lastMessageAt;
  const silent = age !== undefined && age > SILENT_AFTER_MS;
  const online = link === "live" && !silent;
  const counts = s.alertCounts(now);
  let detail = "";
  if (!online) detail = link === "live" ? "no data" : linkDetail || link;
  return {
    url,
    name: s.hostname ?? label,
    level: levelName(s.worstLevel),
    online,
    lastSeen: age === undefined ? "never" : age < 1000 ? "now" : `${formatAge(age)} ago`,
    alerts: counts.open,
    handled: counts.handled,
    detail,
  };
}
