interface Entry<T> {
  value: Promise<T>;
  /** The data generation the value was computed at. */
  generation: number;
  /** When its computation started, once it succeeded. */
  asOf?: number;
  /** When a background check last started, and whether one runs. */
  checkedAt?: number;
  checking?: boolean;
}

/** A kept answer is checked against the data at most this often. */
const CHECK_INTERVAL_MS = 1000;

/**
 * Figures that depend only on the stored rows, kept per key (scope and
 * window) and reused while the data's generation stays the same, that is,
 * until a write changes any row. Concurrent requests for a key share one
 * computation; a failure is not kept.
 *
 * Fleet-wide figures (every service, a cluster, a team) take seconds to
 * compute at thousands of services, and on a fleet a write lands every few
 * seconds, so exact-or-nothing would recompute on nearly every request. For
 * those, `allowStale` answers at once with the kept figures while they are
 * at most `maxStaleMs` old, and checks the data in the background (at most
 * once a second per key): if a write moved it on, one recomputation replaces
 * them when it is done. Past `maxStaleMs`, requests wait for fresh ones. One
 * service's figures are cheap: always exact, checked on every request.
 */
export class FiguresCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly options: {
      maxEntries: number;
      maxStaleMs: number;
      now?: () => number;
    },
  ) {}

  private now() {
    return (this.options.now ?? Date.now)();
  }

  /**
   * `generation` brings the data up to date (settling what writes queued)
   * and answers its generation.
   */
  async get(
    key: string,
    generation: () => Promise<number>,
    compute: () => Promise<T>,
    allowStale: boolean,
  ): Promise<T> {
    if (this.options.maxEntries <= 0) {
      await generation();
      return compute();
    }
    const kept = this.entries.get(key);
    if (kept && allowStale) {
      if (kept.asOf === undefined) {
        // Still being computed: share it rather than start another. Under
        // a write every second a fleet-sized computation would otherwise
        // see a new generation at every request and pile up copies of
        // itself, each slowing the others.
        return this.touch(key, kept);
      }
      if (this.now() - kept.asOf <= this.options.maxStaleMs) {
        this.check(key, kept, generation, compute);
        return this.touch(key, kept);
      }
    }
    const checkedAt = this.now();
    const current = await generation();
    const entry = this.entries.get(key);
    if (entry && entry.generation === current) {
      // Still exact: as fresh as this check, so the next requests within
      // maxStaleMs need not ask again.
      if (entry.asOf !== undefined)
        entry.asOf = Math.max(entry.asOf, checkedAt);
      return this.touch(key, entry);
    }
    const fresh = this.computed(current, compute);
    // Shared with every request for the key until it settles.
    this.keep(key, fresh);
    fresh.value.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return fresh.value;
  }

  /** In the background: recompute a kept answer if the data moved on. */
  private check(
    key: string,
    kept: Entry<T>,
    generation: () => Promise<number>,
    compute: () => Promise<T>,
  ) {
    const now = this.now();
    if (kept.checking || now - (kept.checkedAt ?? 0) < CHECK_INTERVAL_MS) {
      return;
    }
    kept.checking = true;
    kept.checkedAt = now;
    (async () => {
      const current = await generation();
      if (current === kept.generation) {
        // Unchanged since: the kept answer is exact as of this check.
        kept.asOf = Math.max(kept.asOf ?? 0, now);
        return;
      }
      // Kept until the new figures are there: meanwhile, these.
      const next = this.computed(current, compute);
      await next.value;
      this.keep(key, next);
    })()
      .catch(() => {
        // The kept answer stays; a later request checks again.
      })
      .finally(() => {
        kept.checking = false;
      });
  }

  private computed(generation: number, compute: () => Promise<T>): Entry<T> {
    const startedAt = this.now();
    const entry: Entry<T> = { value: compute(), generation };
    entry.value.then(
      () => {
        entry.asOf = startedAt;
      },
      () => {},
    );
    return entry;
  }

  /** Unless what the key holds is of a newer generation. */
  private keep(key: string, entry: Entry<T>) {
    const current = this.entries.get(key);
    if (current && current.generation > entry.generation) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.trim();
  }

  /** Most recently used last, so the oldest goes first. */
  private touch(key: string, entry: Entry<T>): Promise<T> {
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  private trim() {
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}
