// A status's level-change log (protocol v2 capability "levels"): the answer's parts put together,
// the timeline strip's segments over a range, and the log as CSV. Pure: no DOM, no clock.
import { csvField } from "./csv";
import { levelName } from "./format";
import type { LevelChange, Levels } from "./protocol";

export interface LevelLog {
  readonly hardwareId: string;
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly changes: readonly LevelChange[];
  /** The bridge left out the newest transitions (more than one answer carries). */
  readonly truncated: boolean;
}

/** Collects the parts of `levels` answers by id; a log is complete once every part came. */
export class LevelParts {
  private readonly pending = new Map<number, (Levels | undefined)[]>();

  /** The whole log when `msg` was its last missing part, else undefined. */
  accept(msg: Levels): LevelLog | undefined {
    let parts = this.pending.get(msg.id);
    if (parts === undefined || parts.length !== msg.parts) this.pending.set(msg.id, (parts = new Array<Levels | undefined>(msg.parts).fill(undefined)));
    parts[msg.part] = msg;
    if (parts.some((p) => p === undefined)) return undefined;
    this.pending.delete(msg.id);
    const all = parts as Levels[];
    return {
      hardwareId: msg.hardware_id,
      name: msg.name,
      from: msg.from,
      to: msg.to,
      changes: all.flatMap((p) => p.changes),
      truncated: all.some((p) => p.truncated),
    };
  }

  /** Forgets a request that will not be answered (timeout, link down). */
  drop(id: number): void {
    this.pending.delete(id);
  }
}

export interface Segment {
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** undefined: not known (before the first level the store kept in this range). */
  readonly level: number | undefined;
}

/**
 * The strip's segments over [from, to]: before the first transition the level is that
 * transition's `old` (unknown when null), then each transition's `new` until the next one.
 * Adjacent segments of one level are merged; empty ones are left out.
 */
export function segments(changes: readonly LevelChange[], from: number, to: number): Segment[] {
  const out: Segment[] = [];
  const push = (start: number, end: number, level: number | undefined) => {
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    if (!(b > a)) return;
    const last = out[out.length - 1];
    if (last !== undefined && last.level === level && last.end >= a) out[out.length - 1] = { ...last, end: b };
    else out.push({ start: a, end: b, level });
  };
  const sorted = [...changes].sort((x, y) => x.t - y.t);
  let at = from;
  let level: number | undefined = sorted.length > 0 ? (sorted[0]!.old ?? undefined) : undefined;
  for (const c of sorted) {
    push(at, c.t, level);
    at = Math.max(at, c.t);
    level = c.new;
  }
  push(at, to, level);
  return out;
}

/** A short text of the strip for assistive technology: the time spent at each level. */
export function stripSummary(segs: readonly Segment[]): string {
  const total = new Map<string, number>();
  for (const s of segs) total.set(levelName(s.level), (total.get(levelName(s.level)) ?? 0) + (s.end - s.start));
  const span = segs.reduce((sum, s) => sum + (s.end - s.start), 0);
  if (span <= 0) return "no levels in this range";
  return [...total].map(([name, secs]) => `${name === "—" ? "unknown" : name} ${Math.round((secs / span) * 100)}%`).join(", ");
}

/**
 * The log as CSV (`time_iso,time_unix,hardware_id,name,old_level,new_level,message`): text cells
 * by the one formula-safe rule (csvField); levels as their names, the first level's old one empty.
 */
export function levelLogCsv(log: LevelLog): string {
  const lines = ["time_iso,time_unix,hardware_id,name,old_level,new_level,message"];
  for (const c of log.changes) {
    lines.push(
      [
        new Date(c.t * 1000).toISOString(),
        String(c.t),
        csvField(log.hardwareId),
        csvField(log.name),
        c.old === null ? "" : levelName(c.old),
        levelName(c.new),
        csvField(c.message),
      ].join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}
