// Reconnect delays: exponential from `baseMs` up to `maxMs`, with jitter so that many pages
// reconnecting to a restarted bridge do not all arrive at once.
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random (0..1). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5000, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0 = the first retry). `random` returns [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  const spread = raw * opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(raw + spread));
}
