/** Whether a request may go on, and if not, when it may be sent again. */
export type RateDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number };

const MINUTE_MS = 60_000;

/**
 * Requests per minute per credential, as token buckets holding a minute's
 * worth (`perMinute` requests at once, then one every `60 s / perMinute`),
 * so a CI that posts a burst after a build isn't refused while a runaway
 * loop is held to the rate.
 *
 * In this replica's memory: each replica allows the rate, so N replicas
 * behind a load balancer allow up to N times it. That bounds what one key
 * can make a replica write without a shared store on the write path. The
 * buckets are per configured credential, never per caller input, so their
 * number is bounded by the configuration.
 *
 * Kept as the time each bucket would be full again (GCRA), which needs no
 * timer and stays exact where fractional tokens would drift.
 */
export class KeyRateLimiter {
  private readonly fullAt = new Map<string, number>();

  // Looked up per call, not captured, so tests can fake the clock.
  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes one request from the bucket; no limit when `perMinute` is absent or 0. */
  take(bucket: string, perMinute: number | undefined): RateDecision {
    if (!perMinute) return { allowed: true };
    const now = this.now();
    const interval = MINUTE_MS / perMinute;
    const next = Math.max(this.fullAt.get(bucket) ?? now, now) + interval;
    const wait = next - now - MINUTE_MS;
    // A thousandth of a millisecond of slack: intervals like 60 s / 7 are
    // not exact in floating point, and the last token of a full bucket must
    // not be refused over the rounding.
    if (wait > 1e-3) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
      };
    }
    this.fullAt.set(bucket, next);
    return { allowed: true };
  }
}
