// History of one diagnostic status as typed-array ring buffers: one time column, one level
// column and one column per numeric key, all sharing the same slot indices. Typed arrays keep an
// hour of 1 Hz samples for dozens of statuses compact, and appending never allocates once the
// capacity has grown to fit the time window.

/** Absent value in a numeric column (the wire's `null`, or a key missing from that sample). */
export const ABSENT = Number.NaN;

const INITIAL_CAPACITY = 64;

export class StatusHistory {
  private cap: number;
  private start = 0;
  private len = 0;
  private t: Float64Array;
  private lvl: Uint8Array;
  private cols = new Map<string, Float64Array>();

  /**
   * @param windowSeconds samples older than the newest minus this are dropped.
   * @param maxSamples hard bound on memory whatever the publishing rate.
   */
  constructor(
    readonly windowSeconds: number,
    readonly maxSamples = 36_000,
  ) {
    this.cap = Math.min(INITIAL_CAPACITY, maxSamples);
    this.t = new Float64Array(this.cap);
    this.lvl = new Uint8Array(this.cap);
  }

  get length(): number {
    return this.len;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Newest sample time, or -Infinity when empty. */
  get newestT(): number {
    return this.len === 0 ? Number.NEGATIVE_INFINITY : this.timeAt(this.len - 1);
  }

  /** Oldest sample time, or +Infinity when empty. */
  get oldestT(): number {
    return this.len === 0 ? Number.POSITIVE_INFINITY : this.timeAt(0);
  }

  keys(): string[] {
    return [...this.cols.keys()];
  }

  /** Time of the i-th sample, oldest first. */
  timeAt(i: number): number {
    return this.t[(this.start + i) % this.cap] as number;
  }

  levelAt(i: number): number {
    return this.lvl[(this.start + i) % this.cap] as number;
  }

  /** Value of `key` in the i-th sample, NaN when absent. */
  valueAt(key: string, i: number): number {
    const col = this.cols.get(key);
    return col === undefined ? ABSENT : (col[(this.start + i) % this.cap] as number);
  }

  /**
   * Appends one sample. Samples must move forward in time: one not newer than the newest is
   * refused (returns false) so the time column stays sorted, which the charts and the window
   * search rely on.
   */
  push(t: number, level: number, values: ReadonlyMap<string, number> | Record<string, number>): boolean {
    const slot = this.open(t, level);
    if (slot < 0) return false;
    const entries = values instanceof Map ? values.entries() : Object.entries(values);
    for (const [key, v] of entries) this.column(key)[slot] = v;
    this.close();
    return true;
  }

  /**
   * push() for numbers read elsewhere (prepare.ts, in the worker): the i-th key of `keys` (for..in
   * order) has the value numbers[from + i], NaN for none. No Map per sample.
   */
  pushAligned(t: number, level: number, keys: Readonly<Record<string, unknown>>, numbers: Float64Array, from: number): boolean {
    const slot = this.open(t, level);
    if (slot < 0) return false;
    let i = from;
    for (const key in keys) {
      const v = numbers[i++] as number;
      if (v === v) this.column(key)[slot] = v; // not NaN: a number
    }
    this.close();
    return true;
  }

  /** A new sample's slot with its time and level set and every column absent; -1 if refused. */
  private open(t: number, level: number): number {
    if (!Number.isFinite(t) || t <= this.newestT) return -1;
    if (this.len === this.cap) {
      if (this.cap < this.maxSamples) this.grow();
      else this.dropOldest(1);
    }
    const slot = (this.start + this.len) % this.cap;
    this.t[slot] = t;
    this.lvl[slot] = level;
    for (const col of this.cols.values()) col[slot] = ABSENT;
    return slot;
  }

  private close(): void {
    this.len += 1;
    this.trim();
  }

  /** Index of the first sample with time >= t (length when none). Binary search. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Copies times from index `from` to the end into a new array. */
  timesFrom(from: number): Float64Array {
    return this.copyColumn(this.t, from);
  }

  /** Copies `key`'s values from index `from` to the end (NaN where absent). */
  valuesFrom(key: string, from: number): Float64Array {
    const col = this.cols.get(key);
    if (col === undefined) return new Float64Array(Math.max(0, this.len - from)).fill(ABSENT);
    return this.copyColumn(col, from);
  }

  /** Copies a column from index `from` to the end into a new array. */
  private copyColumn(col: Float64Array, from: number): Float64Array {
    return this.copyInto(col, from, new Float64Array(Math.max(0, this.len - from)));
  }

  /**
   * Copies a ring column's samples from index `from` to the end, oldest first, to the start of
   * `out` (unrolling the ring: it may wrap past the end of the buffer).
   */
  private copyInto<A extends Float64Array | Uint8Array>(col: A, from: number, out: A): A {
    const n = Math.max(0, this.len - from);
    const first = (this.start + from) % this.cap;
    const tail = Math.min(n, this.cap - first);
    out.set(col.subarray(first, first + tail), 0);
    if (tail < n) out.set(col.subarray(0, n - tail), tail);
    return out;
  }

  private column(key: string): Float64Array {
    let col = this.cols.get(key);
    if (col === undefined) {
      col = new Float64Array(this.cap).fill(ABSENT);
      this.cols.set(key, col);
    }
    return col;
  }

  /** Drops samples that fell out of the time window. */
  private trim(): void {
    const cutoff = this.newestT - this.windowSeconds;
    let n = 0;
    while (n < this.len - 1 && this.timeAt(n) < cutoff) n += 1;
    if (n > 0) this.dropOldest(n);
  }

  private dropOldest(n: number): void {
    this.start = (this.start + n) % this.cap;
    this.len -= n;
  }

  /** Doubles the capacity, unrolling the ring so the oldest sample lands at index 0. */
  private grow(): void {
    const cap = Math.min(this.cap * 2, this.maxSamples);
    this.t = this.copyInto(this.t, 0, new Float64Array(cap));
    this.lvl = this.copyInto(this.lvl, 0, new Uint8Array(cap));
    for (const [key, col] of this.cols) {
      const grown = this.copyInto(col, 0, new Float64Array(cap));
      grown.fill(ABSENT, this.len);
      this.cols.set(key, grown);
    }
    this.start = 0;
    this.cap = cap;
  }
}
