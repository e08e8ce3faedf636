// Everything the page knows: every status seen (latest value, history, when it was last updated),
// the message counters, and sequence-gap accounting. Pure: the clock is passed in, no DOM.
import { parseNumber, type Diagnostics, type Hello, type Snapshot, type SnapshotStatus, type Status } from "./protocol";
import { StatusHistory } from "./ring";
import { taskOf, type Task } from "./metrics";
import type { StatusNumbers } from "./prepare";

/** The charts' window when the bridge keeps no history of its own (hello.history_seconds 0). */
export const DEFAULT_WINDOW_S = 3600;

/**
 * The most statuses the page keeps: 1,000 statuses must be shown (issue 11, bench/page_apply), but
 * a robot whose nodes publish ever-new names (a counter in a name, say) must not grow the page
 * without bound (2,000 names once took 12,000 table rows and 37 MB of heap). The bridge's history
 * keeps fewer (256); a status it forgot still shows here with its live value.
 */
export const MAX_STATUSES = 1024;

/** A status not updated for this long is shown as stale. */
export const STALE_AFTER_MS = 5000;

export interface StatusEntry {
  readonly key: string;
  readonly name: string;
  readonly hardwareId: string;
  /** Its system_metrics task, if any: read from the name once, since the name never changes. */
  readonly task: Task | undefined;
  latest: Status | undefined;
  /**
   * Whether `latest.values` came with the last update. Capability "interest": a status the page
   * did not ask values for arrives without them, and keeps the values it had (not live: the
   * detail says so until a message carries them again).
   */
  valuesLive: boolean;
  /**
   * Stamp of the last live message whose level differed from the one before, since the last
   * snapshot (whose history has every change up to it): levels.ts entryLevelSince.
   */
  levelChangedT: number | undefined;
  /** Page clock (ms) when this status was last updated. */
  updatedMs: number;
  readonly history: StatusHistory;
}

export interface Counters {
  messages: number;
  hello: number;
  snapshot: number;
  diagnostics: number;
  unknown: number;
  malformed: number;
  /** Statuses left out of otherwise valid messages because they failed validation on their own. */
  rejectedStatuses: number;
  /** Statuses forgotten (the least recently updated) to stay within MAX_STATUSES. */
  evicted: number;
  /** Live messages the bridge skipped for this page, from gaps in `seq`. */
  dropped: number;
  lastMalformed: string;
  lastUnknown: string;
}

export function statusKey(hardwareId: string, name: string): string {
  return `${hardwareId}\u0000${name}`;
}

export function isStale(entry: StatusEntry, nowMs: number): boolean {
  return nowMs - entry.updatedMs > STALE_AFTER_MS;
}

/** The numeric values of a status: those whose string parses as a finite number. */
export function numericValues(values: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, text] of Object.entries(values)) {
    const v = parseNumber(text);
    if (v !== undefined) out.set(key, v);
  }
  return out;
}

/** Counts messages the bridge skipped for this peer, from the `seq` of live messages. */
export class SeqTracker {
  private last: number | undefined;
  dropped = 0;

  /** A new session (`hello`): the next live message has a larger seq than this. */
  reset(seq: number): void {
    this.last = seq;
  }

  /** Returns how many messages were skipped before this one. */
  observe(seq: number): number {
    const last = this.last;
    if (last === undefined || seq <= last) {
      // First live message of a session, or a part of a split array (same seq): no gap to see.
      if (last === undefined || seq > last) this.last = seq;
      return 0;
    }
    const gap = seq - last - 1;
    this.last = seq;
    this.dropped += gap;
    return gap;
  }
}

export class Store {
  readonly entries = new Map<string, StatusEntry>();
  readonly counters: Counters = {
    messages: 0,
    hello: 0,
    snapshot: 0,
    diagnostics: 0,
    unknown: 0,
    malformed: 0,
    rejectedStatuses: 0,
    evicted: 0,
    dropped: 0,
    lastMalformed: "",
    lastUnknown: "",
  };
  hello: Hello | undefined;
  /** Bumped whenever a status appears, so views can rebuild their structure only then. */
  structureVersion = 0;
  private seq = new SeqTracker();
  private pendingParts: Snapshot[] = [];

  constructor(
    private windowSeconds = DEFAULT_WINDOW_S,
    private readonly maxStatuses = MAX_STATUSES,
  ) {}

  countUnknown(type: string): void {
    this.counters.messages += 1;
    this.counters.unknown += 1;
    this.counters.lastUnknown = type;
  }

  countMalformed(reason: string): void {
    this.counters.messages += 1;
    this.counters.malformed += 1;
    this.counters.lastMalformed = reason;
  }

  /** Statuses a valid message carried that failed validation each on its own (the rest were applied). */
  countRejected(count: number, reason: string): void {
    if (count <= 0) return;
    this.counters.rejectedStatuses += count;
    this.counters.lastMalformed = reason;
  }

  applyHello(msg: Hello): void {
    this.counters.messages += 1;
    this.counters.hello += 1;
    this.hello = msg;
    // 0: the bridge keeps no history; the page's charts still keep their own window of live data.
    this.windowSeconds = msg.history_seconds > 0 ? msg.history_seconds : DEFAULT_WINDOW_S;
    this.seq.reset(msg.seq);
    this.pendingParts = [];
  }

  /**
   * Collects snapshot parts and merges them once all have arrived, in order of `part`. Returns
   * true when the snapshot was merged.
   */
  applySnapshotPart(msg: Snapshot, nowMs: number): boolean {
    this.counters.messages += 1;
    this.counters.snapshot += 1;
    if (this.pendingParts.length > 0 && this.pendingParts[0]?.parts !== msg.parts) this.pendingParts = [];
    if (this.pendingParts.some((p) => p.part === msg.part)) return false;
    this.pendingParts.push(msg);
    if (this.pendingParts.length < msg.parts) return false;
    const parts = this.pendingParts.sort((a, b) => a.part - b.part);
    this.pendingParts = [];
    this.mergeSnapshot(parts.flatMap((p) => p.statuses), nowMs);
    return true;
  }

  /**
   * Merges snapshot history into what the page already holds: only samples newer than a status's
   * newest are appended, so reconnecting to the same bridge adds nothing twice and reconnecting
   * to a restarted bridge (empty history) erases nothing.
   */
  mergeSnapshot(statuses: SnapshotStatus[], nowMs: number): void {
    // Ages come from the snapshot's own clock: the newest sample anywhere in it is taken as "now",
    // so a status whose publisher stopped long ago shows as stale straight away.
    let newest = Number.NEGATIVE_INFINITY;
    for (const s of statuses) {
      const last = s.t[s.t.length - 1];
      if (last !== undefined && last > newest) newest = last;
    }
    for (const s of statuses) {
      const entry = this.entry(s.hardware_id, s.name, nowMs);
      entry.levelChangedT = undefined;
      const keys = Object.entries(s.values);
      const sample = new Map<string, number>();
      for (let i = 0; i < s.t.length; i++) {
        const t = s.t[i] as number;
        if (t <= entry.history.newestT) continue;
        sample.clear();
        for (const [key, col] of keys) {
          const v = col[i];
          if (v !== null && v !== undefined && Number.isFinite(v)) sample.set(key, v);
        }
        entry.history.push(t, s.level[i] ?? 0, sample);
      }
      if (s.latest !== undefined) {
        const last = s.t[s.t.length - 1];
        const updated = last === undefined ? nowMs : nowMs - Math.max(0, newest - last) * 1000;
        if (entry.latest === undefined || updated >= entry.updatedMs) {
          entry.latest = s.latest;
          entry.updatedMs = updated;
          entry.valuesLive = true;
        }
      }
    }
  }

  /** `numbers`: the statuses' numeric values read already (prepare.ts, in the parse worker). */
  applyDiagnostics(msg: Diagnostics, nowMs: number, numbers?: StatusNumbers): void {
    this.counters.messages += 1;
    this.counters.diagnostics += 1;
    this.seq.observe(msg.seq);
    this.counters.dropped = this.seq.dropped;
    msg.statuses.forEach((status, i) => {
      const entry = this.entry(status.hardware_id, status.name, nowMs);
      entry.updatedMs = nowMs;
      if (entry.latest !== undefined && entry.latest.level !== status.level) entry.levelChangedT = msg.stamp;
      if (status.values === undefined) {
        // Capability "interest": no page asked for its values. Its level, message and age are
        // news; its values are not, so they are kept (and nothing is charted from it).
        status.values = entry.latest?.values ?? {};
        entry.latest = status as Status;
        entry.valuesLive = false;
        return;
      }
      entry.latest = status as Status;
      entry.valuesLive = true;
      if (numbers !== undefined) {
        entry.history.pushAligned(msg.stamp, status.level, status.values, numbers.numbers, numbers.offsets[i] as number);
      } else entry.history.push(msg.stamp, status.level, numericValues(status.values));
    });
  }

  /**
   * Capability "interest": the bridge's last full status of statuses the page just asked values
   * for (the `interest_ok` reply). Their values are current from now on; their age and history
   * stay what the live messages made them.
   */
  applyLatest(statuses: readonly Status[]): void {
    for (const status of statuses) {
      const entry = this.find(status.hardware_id, status.name);
      if (entry === undefined) continue;
      entry.latest = status;
      entry.valuesLive = true;
    }
  }

  /** Entries grouped by hardware_id (sorted), each group sorted by name. */
  grouped(): Map<string, StatusEntry[]> {
    const groups = new Map<string, StatusEntry[]>();
    const sorted = [...this.entries.values()].sort(
      (a, b) => a.hardwareId.localeCompare(b.hardwareId) || a.name.localeCompare(b.name),
    );
    for (const e of sorted) {
      let g = groups.get(e.hardwareId);
      if (g === undefined) groups.set(e.hardwareId, (g = []));
      g.push(e);
    }
    return groups;
  }

  /** WARN and ERROR statuses with a latest value, most severe first. */
  alerts(): StatusEntry[] {
    const out: StatusEntry[] = [];
    for (const e of this.entries.values()) {
      const lvl = e.latest?.level;
      if (lvl === 1 || lvl === 2) out.push(e);
    }
    return out.sort((a, b) => (b.latest?.level ?? 0) - (a.latest?.level ?? 0) || a.name.localeCompare(b.name));
  }

  find(hardwareId: string, name: string): StatusEntry | undefined {
    return this.entries.get(statusKey(hardwareId, name));
  }

  private entry(hardwareId: string, name: string, nowMs: number): StatusEntry {
    const key = statusKey(hardwareId, name);
    let e = this.entries.get(key);
    if (e === undefined) {
      e = {
        key,
        name,
        hardwareId,
        task: taskOf(name),
        latest: undefined,
        valuesLive: false,
        levelChangedT: undefined,
        updatedMs: nowMs,
        history: new StatusHistory(this.windowSeconds),
      };
      if (this.entries.size >= this.maxStatuses) this.evictLeastRecent();
      this.entries.set(key, e);
      this.structureVersion += 1;
    }
    return e;
  }

  /** Forgets the status updated longest ago (a scan: it runs only when a new status arrives at the cap). */
  private evictLeastRecent(): void {
    let oldest: StatusEntry | undefined;
    for (const e of this.entries.values()) if (oldest === undefined || e.updatedMs < oldest.updatedMs) oldest = e;
    if (oldest === undefined) return;
    this.entries.delete(oldest.key);
    this.counters.evicted += 1;
  }
}
