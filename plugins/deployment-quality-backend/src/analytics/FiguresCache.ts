interface Entry<T> {
  value: Promise<T>;
  /** The rollups' generation the value was computed at. */
  generation: number;
  /** When its computation started, once it succeeded. */
  asOf?: number;
  refreshing?: boolean;
}

/**
 * Figures that depend only on the stored rows, kept per key (scope and
 * window) and reused while the rollups' generation stays the same, that is,
 * until a write changes any row. Concurrent requests for a key share one
 * computation; a failure is not kept.
 *
 * Fleet-wide figures (every service, a cluster, a team) take seconds to
 * compute at thousands of services, and on a fleet a write lands every few
 * seconds, so exact-or-nothing would recompute on nearly every request. For
 * those, `allowStale` serves the last figures while they are at most
 * `maxStaleMs` old and recomputes them once in the background; past that,
 * requests wait for fresh ones. One service's figures are cheap: always
 * exact.
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

  get(
    key: string,
    generation: number,
    compute: () => Promise<T>,
    allowStale: boolean,
  ): Promise<T> {
    if (this.options.maxEntries <= 0) return compute();
    const entry = this.entries.get(key);
    if (entry && entry.generation === generation) return this.touch(key, entry);
    if (
      entry &&
      allowStale &&
      entry.asOf !== undefined &&
      this.now() - entry.asOf <= this.options.maxStaleMs
    ) {
      if (!entry.refreshing) {
        entry.refreshing = true;
        // Kept until the new figures are there: meanwhile, these.
        const next = this.computed(generation, compute);
        next.value.then(
          () => this.keep(key, next),
          () => {
            entry.refreshing = false;
          },
        );
      }
      return this.touch(key, entry);
    }
    const fresh = this.computed(generation, compute);
    // Shared with every request for the key until it settles.
    this.keep(key, fresh);
    fresh.value.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return fresh.value;
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
