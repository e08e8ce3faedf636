// Recent durations (ms) in a fixed ring, for the instrumentation hook's percentiles.
export class Timings {
  private buf: Float64Array;
  private n = 0;
  private next = 0;

  constructor(capacity = 2048) {
    this.buf = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.buf[this.next] = ms;
    this.next = (this.next + 1) % this.buf.length;
    if (this.n < this.buf.length) this.n += 1;
  }

  clear(): void {
    this.n = 0;
    this.next = 0;
  }

  get count(): number {
    return this.n;
  }

  values(): number[] {
    return Array.from(this.buf.subarray(0, this.n));
  }

  summary(): { n: number; p50: number | null; p99: number | null; max: number | null } {
    const sorted = this.values().sort((a, b) => a - b);
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? null,
    };
  }
}

/** Nearest-rank percentile (p in 0..100) of values sorted ascending, or null when empty. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}
