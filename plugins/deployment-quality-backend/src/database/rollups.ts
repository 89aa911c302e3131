import { Knex } from 'knex';
import { LEAD_TIME_SQL } from '../analytics/sql';
import { DAY_MS } from '../analytics/window';
import { chunks } from './chunks';
import { bumpVersion, readVersion } from './versions';
import {
  ParkedKey,
  QueuedKey,
  backlog,
  claimDue,
  deleteQueued,
  dueRows,
  park,
  parkedKeys,
  retryDelay,
} from './rollupQueue';

/**
 * The daily rollups (tables in migrations/20261124000000_daily_rollups.js):
 * derived from dq_attempts and dq_test_runs per (cluster, service, day).
 * Recomputing a key from its rows rather than adding deltas keeps them
 * exact whatever the merge rules do to an attempt (its status, start, end
 * or even its cluster may change), and needs no old values.
 *
 * A write doesn't recompute in its own transaction: it appends the keys it
 * touched to dq_rollup_dirty (`markStale`), so writers never queue on each
 * other's keys. The {@link RollupRefresher} recomputes queued keys shortly
 * after each commit, and every read of the rollups first settles the queue,
 * so answers are exact as of the read.
 */

/** Bump when the derivation changes: the next start rebuilds. */
const ROLLUPS_VERSION = 2;
const ROLLUPS = 'daily-rollups';

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

interface DayKey {
  clusterId: string;
  serviceId: string;
  day: number;
}

/** s, e: dq_attempt_days by start or end day; t: dq_test_days. */
export type RollupKind = 's' | 'e' | 't';
type Kind = RollupKind;

/** The (kind, cluster, service, day) keys whose rollups a write changed. */
export class TouchedDays {
  readonly keys: Record<Kind, Map<string, DayKey>> = {
    s: new Map(),
    e: new Map(),
    t: new Map(),
  };

  add(kind: Kind, key: DayKey) {
    this.keys[kind].set(`${key.clusterId}|${key.serviceId}|${key.day}`, key);
  }

  private at(
    kind: Kind,
    clusterId: string | null,
    serviceId: string | null,
    at: unknown,
  ) {
    if (at === null || at === undefined) return;
    this.add(kind, {
      clusterId: clusterId ?? '',
      serviceId: serviceId ?? '',
      day: dayOf(Number(at)),
    });
  }

  /** An attempt row (old or new values; both when it changed). */
  attempt(row: {
    cluster_id: string;
    service_id: string;
    started_at: unknown;
    ended_at: unknown;
  }) {
    this.at('s', row.cluster_id, row.service_id, row.started_at);
    this.at('e', row.cluster_id, row.service_id, row.ended_at);
  }

  testRun(row: {
    cluster_id: string | null;
    service_id: string | null;
    executed_at: unknown;
  }) {
    this.at('t', row.cluster_id, row.service_id, row.executed_at);
  }

  /** The (cluster, service) pairs of the attempts seen. */
  pairs(): Array<{ clusterId: string; serviceId: string }> {
    return [...this.keys.s.values()];
  }

  /** As rows of dq_rollup_dirty. */
  rows() {
    return (Object.keys(this.keys) as Kind[]).flatMap(kind =>
      [...this.keys[kind].values()].map(k => ({
        kind,
        cluster_id: k.clusterId,
        service_id: k.serviceId,
        day: k.day,
      })),
    );
  }
}

/**
 * Queues the keys a write touched, in the write's transaction: they are
 * stale from its commit until the refresher recomputes them.
 */
export async function markStale(
  tx: Knex.Transaction,
  touched: TouchedDays,
): Promise<void> {
  const queuedAt = Date.now();
  for (const chunk of chunks(touched.rows(), 500)) {
    await tx('dq_rollup_dirty').insert(
      chunk.map(row => ({ ...row, queued_at: queuedAt })),
    );
  }
}

/** Rows of dq_attempt_days recomputed from dq_attempts ('s' or 'e'). */
function attemptDays(db: Knex, kind: 's' | 'e', keys?: DayKey[]) {
  const time = kind === 's' ? 'started_at' : 'ended_at';
  const day = `cast(${time} / ${DAY_MS} as integer)`;
  return db('dq_attempts')
    .select(
      db.raw(`'${kind}' as kind`),
      db.raw(`${day} as day`),
      'cluster_id',
      'service_id',
      'status',
      db.raw('count(*) as n'),
      db.raw(kind === 'e' ? `sum(${LEAD_TIME_SQL}) as lead_sum` : '0'),
    )
    .modify(q => {
      if (kind === 'e')
        q.whereNotNull('ended_at').whereNot('status', 'IN_PROGRESS');
      if (keys) {
        q.where(any =>
          keys.forEach(k =>
            any.orWhere(b =>
              b
                .where('cluster_id', k.clusterId)
                .where('service_id', k.serviceId)
                .where(time, '>=', k.day * DAY_MS)
                .where(time, '<', (k.day + 1) * DAY_MS),
            ),
          ),
        );
      }
    })
    .groupByRaw(`${day}, cluster_id, service_id, status`);
}

/** Rows of dq_test_days recomputed from dq_test_runs. */
function testDays(db: Knex, keys?: DayKey[]) {
  const day = `cast(executed_at / ${DAY_MS} as integer)`;
  return db('dq_test_runs')
    .select(
      db.raw(`${day} as day`),
      db.raw("coalesce(cluster_id, '') as cluster_id"),
      db.raw("coalesce(service_id, '') as service_id"),
      'suite_type',
      db.raw('sum(passed) as passed'),
      db.raw('sum(total) as total'),
    )
    .modify(q => {
      if (keys) {
        q.where(any =>
          keys.forEach(k =>
            any.orWhere(b => {
              // '' stands for runs whose attempt hasn't arrived.
              if (k.serviceId === '' && k.clusterId === '') {
                b.whereNull('service_id').whereNull('cluster_id');
              } else {
                b.where('cluster_id', k.clusterId).where(
                  'service_id',
                  k.serviceId,
                );
              }
              b.where('executed_at', '>=', k.day * DAY_MS).where(
                'executed_at',
                '<',
                (k.day + 1) * DAY_MS,
              );
            }),
          ),
        );
      }
    })
    .groupByRaw(
      `${day}, coalesce(cluster_id, ''), coalesce(service_id, ''), suite_type`,
    );
}

/** Every row of dq_attempt_totals, summed from dq_attempt_days. */
function attemptTotals(db: Knex) {
  return db('dq_attempt_days')
    .where('kind', 's')
    .select('cluster_id', 'service_id', 'status', db.raw('sum(n) as n'))
    .groupBy('cluster_id', 'service_id', 'status');
}

const ATTEMPT_DAY_COLUMNS =
  '(kind, day, cluster_id, service_id, status, n, lead_sum)';
const TEST_DAY_COLUMNS =
  '(day, cluster_id, service_id, suite_type, passed, total)';
const TOTAL_COLUMNS = '(cluster_id, service_id, status, n)';

/** `insert into table (columns) select … [union all select …]`, in a form both databases take. */
async function insertSelect(
  tx: Knex,
  table: string,
  columns: string,
  ...selects: Knex.QueryBuilder[]
) {
  const parts = selects.map(q => q.toSQL());
  await tx.raw(
    `insert into ${table} ${columns} ${parts
      .map(p => p.sql)
      .join(' union all ')}`,
    parts.flatMap(p => p.bindings),
  );
}

const isPg = (db: Knex) => db.client.config.client === 'pg';

/**
 * The rollup rows of some keys. As row values in the primary key's order
 * (day, cluster, service after the kind), which both databases look up
 * in the key's index; an OR per key would scan the table on SQLite.
 */
function whereKeys(q: Knex.QueryBuilder, keys: DayKey[]): Knex.QueryBuilder {
  return q.whereIn(
    ['day', 'cluster_id', 'service_id'],
    keys.map(k => [k.day, k.clusterId, k.serviceId]),
  );
}

/** Takes the start days of `keys` out of the totals, or adds them in. */
async function moveTotals(
  tx: Knex.Transaction,
  keys: DayKey[],
  direction: 'in' | 'out',
) {
  const days = whereKeys(tx('dq_attempt_days').where('kind', 's'), keys)
    .select('cluster_id', 'service_id', 'status')
    .sum({ n: 'n' })
    .groupBy('cluster_id', 'service_id', 'status')
    .toSQL();
  await tx.raw(
    direction === 'out'
      ? `update dq_attempt_totals set n = dq_attempt_totals.n - d.n
         from (${days.sql}) as d
         where dq_attempt_totals.cluster_id = d.cluster_id
           and dq_attempt_totals.service_id = d.service_id
           and dq_attempt_totals.status = d.status`
      : `insert into dq_attempt_totals ${TOTAL_COLUMNS} ${days.sql}
         on conflict (cluster_id, service_id, status)
         do update set n = dq_attempt_totals.n + excluded.n`,
    days.bindings,
  );
}

/** Recomputes the rollups of every key in `touched`, in the caller's transaction. */
async function refreshKeys(
  tx: Knex.Transaction,
  touched: TouchedDays,
): Promise<void> {
  // Bounded statements: a few hundred keys at a time; both kinds of a
  // chunk in one delete and one insert.
  const started = chunks([...touched.keys.s.values()], 200);
  const ended = chunks([...touched.keys.e.values()], 200);
  for (let i = 0; i < Math.max(started.length, ended.length); i++) {
    const kinds = [
      ['s', started[i]],
      ['e', ended[i]],
    ] as const;
    const present = kinds.filter(([, keys]) => keys?.length);
    // The totals move by what the start days change: out with the old
    // counts, in with the new, so a refresh costs what it touched.
    if (started[i]) await moveTotals(tx, started[i], 'out');
    await tx('dq_attempt_days')
      .where(any =>
        present.forEach(([kind, keys]) =>
          any.orWhere(b => whereKeys(b.where('kind', kind), keys!)),
        ),
      )
      .delete();
    await insertSelect(
      tx,
      'dq_attempt_days',
      ATTEMPT_DAY_COLUMNS,
      ...present.map(([kind, keys]) => attemptDays(tx, kind, keys)),
    );
    if (started[i]) await moveTotals(tx, started[i], 'in');
  }
  if (started.length) await tx('dq_attempt_totals').where('n', 0).delete();
  for (const chunk of chunks([...touched.keys.t.values()], 200)) {
    await whereKeys(tx('dq_test_days'), chunk).delete();
    await insertSelect(
      tx,
      'dq_test_days',
      TEST_DAY_COLUMNS,
      testDays(tx, chunk),
    );
  }
}

const GENERATION = 'rollups-generation';
/** Queue rows claimed per refresh transaction. */
const CLAIM = 2000;

const readGeneration = (db: Knex) => readVersion(db, GENERATION);

async function bumpGeneration(tx: Knex.Transaction): Promise<number> {
  await bumpVersion(tx, GENERATION);
  return readGeneration(tx);
}

/** Options of {@link RollupRefresher}. */
export interface RollupRefresherOptions {
  /** How long after a write the refresh starts, gathering others. */
  delayMs?: number;
  /** A background refresh failed; the keys stay queued. */
  onError?: (error: Error) => void;
  /** A key's refresh failed on its own: it is parked until `retryAt`. */
  onKeyParked?: (key: ParkedKey) => void;
  /** Back-off of a failing key: doubling from this (default 10 s)… */
  minRetryMs?: number;
  /** …up to this (default 1 h). */
  maxRetryMs?: number;
  /** The clock the back-off is measured by (tests move it). */
  now?: () => number;
}

/**
 * Recomputes the keys the queue holds, shortly after each write
 * (`kick`) and before each read of the rollups (`settle`). Every replica
 * runs one; on PostgreSQL their transactions take one advisory lock, so a
 * key is never recomputed by two at once (the later commit could carry the
 * older figures).
 *
 * Each refresh bumps a generation number stored beside the rollups; an
 * answer derived from them holds for as long as the generation doesn't
 * change, which is what lets the analytics cache it.
 *
 * A key whose refresh fails (its sums overflow on data stored before the
 * bounds, or a bug) must not hold up the others, the reads or the start of
 * the backend: when a batch fails, its keys are retried in halves until
 * the failing ones stand alone, and those are parked with a back-off.
 * `settle` doesn't wait for a parked key; until a retry succeeds its
 * rollups keep their last figures, and `GET /status` names it.
 */
export class RollupRefresher {
  private running?: Promise<number>;
  private next?: Promise<number>;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly db: Knex,
    private readonly options: RollupRefresherOptions = {},
  ) {}

  /** A refresh soon, shared with every write committed meanwhile. */
  kick(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.settle().catch(e => this.options.onError?.(e));
    }, this.options.delayMs ?? 100);
    this.timer.unref?.();
  }

  /**
   * Recomputes every key queued by a write committed before the call,
   * except parked keys not yet due for a retry, and answers the generation
   * the rollups then have.
   */
  settle(): Promise<number> {
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The refresh under way may have claimed its keys before the caller's
    // write committed: one more after it, shared by all who ask meanwhile.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.settle();
      });
    return this.next;
  }

  /** How many keys wait for a refresh, and since when (epoch ms); parked keys aside. */
  backlog(): Promise<{ queuedKeys: number; oldestQueuedAt?: number }> {
    return backlog(this.db);
  }

  /** The keys parked after a failed refresh: how many, and the oldest `limit`. */
  parked(limit = 20): Promise<{ count: number; keys: ParkedKey[] }> {
    return parkedKeys(this.db, limit);
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  private async drain(): Promise<number> {
    for (;;) {
      const now = this.now();
      const [queued] = await dueRows(this.db, now).select('d.id').limit(1);
      if (!queued) return readGeneration(this.db);
      const claimed = await this.refreshDue(now);
      // Parked keys are no longer due: each pass makes progress.
      if (claimed < CLAIM) return readGeneration(this.db);
    }
  }

  /** One claim of due keys, refreshed together or, failing that, apart. */
  private async refreshDue(now: number): Promise<number> {
    let claimed: QueuedKey[] = [];
    try {
      await this.db.transaction(async tx => {
        await lockRefresh(tx);
        claimed = await claimDue(tx, now, CLAIM);
        if (!claimed.length) return;
        await refreshKeys(tx, touchedBy(claimed));
        await bumpGeneration(tx);
      });
    } catch (error) {
      // The claim rolled back with the refresh: the rows are queued again.
      if (!claimed.length) throw error;
      if (claimed.length === 1) await this.park(claimed[0], error);
      else await this.bisect(claimed);
    }
    return claimed.reduce((n, k) => n + k.ids.length, 0);
  }

  /**
   * Refreshes each half of `keys` in its own transaction, splitting a
   * failing half again: one bad key among n costs about 2·log2(n) tries.
   */
  private async bisect(keys: QueuedKey[]): Promise<void> {
    const half = Math.ceil(keys.length / 2);
    for (const part of [keys.slice(0, half), keys.slice(half)]) {
      try {
        await this.db.transaction(async tx => {
          await lockRefresh(tx);
          await deleteQueued(tx, part);
          await refreshKeys(tx, touchedBy(part));
          await bumpGeneration(tx);
        });
      } catch (error) {
        if (part.length === 1) await this.park(part[0], error);
        else await this.bisect(part);
      }
    }
  }

  /**
   * Parks a key that failed alone. When even that fails the database is
   * likely down, not the key bad: the error goes up and the keys stay
   * queued as they were.
   */
  private async park(key: QueuedKey, error: unknown): Promise<void> {
    const { minRetryMs = 10_000, maxRetryMs = 3_600_000 } = this.options;
    const failures = key.failures + 1;
    const parked: ParkedKey = {
      kind: key.kind,
      clusterId: key.clusterId,
      serviceId: key.serviceId,
      day: key.day,
      failures,
      retryAt: this.now() + retryDelay(failures, minRetryMs, maxRetryMs),
      error: String(error),
    };
    await park(this.db, parked);
    this.options.onKeyParked?.(parked);
  }
}

/** Serializes refreshes across replicas (PostgreSQL; SQLite has one writer). */
async function lockRefresh(tx: Knex.Transaction) {
  if (isPg(tx)) {
    await tx.raw('select pg_advisory_xact_lock(hashtext(?))', ['dq-rollups']);
  }
}

function touchedBy(keys: QueuedKey[]): TouchedDays {
  const touched = new TouchedDays();
  for (const k of keys) {
    touched.add(k.kind, {
      clusterId: k.clusterId,
      serviceId: k.serviceId,
      day: k.day,
    });
  }
  return touched;
}

/**
 * Fills the rollups from scratch when they don't hold the current
 * derivation: after the migration that adds them, after a change to how
 * they are derived, or after a bulk load that cleared the marker. Writers
 * wait on the table locks meanwhile and queue their keys after.
 *
 * When the rebuild fails (a key whose sums overflow), every key is queued
 * instead, so the refresher isolates the bad ones and the backend starts.
 */
export async function ensureRollups(
  db: Knex,
  options: { onError?: (error: Error) => void } = {},
): Promise<boolean> {
  const current = async (q: Knex) =>
    (await q('dq_derived').where('name', ROLLUPS).first())?.version ===
    ROLLUPS_VERSION;
  if (await current(db)) return false;
  const exclusively = (fill: (tx: Knex.Transaction) => Promise<void>) =>
    db.transaction(async tx => {
      if (isPg(tx)) {
        await tx.raw(
          'lock table dq_attempt_days, dq_test_days, dq_attempt_totals, dq_derived, dq_rollup_dirty in exclusive mode',
        );
      }
      if (await current(tx)) return false;
      await tx('dq_attempt_days').delete();
      await tx('dq_test_days').delete();
      await tx('dq_attempt_totals').delete();
      await fill(tx);
      await tx('dq_derived')
        .insert({ name: ROLLUPS, version: ROLLUPS_VERSION })
        .onConflict('name')
        .merge();
      await bumpGeneration(tx);
      return true;
    });
  try {
    return await exclusively(rebuildAll);
  } catch (error) {
    options.onError?.(error as Error);
    return exclusively(queueAll);
  }
}

/** Every rollup row from every source row, in one statement per table. */
async function rebuildAll(tx: Knex.Transaction) {
  // Rebuilt from every row: what the queue holds is included.
  await tx('dq_rollup_dirty').delete();
  await insertSelect(
    tx,
    'dq_attempt_days',
    ATTEMPT_DAY_COLUMNS,
    attemptDays(tx, 's'),
  );
  await insertSelect(
    tx,
    'dq_attempt_days',
    ATTEMPT_DAY_COLUMNS,
    attemptDays(tx, 'e'),
  );
  await insertSelect(tx, 'dq_test_days', TEST_DAY_COLUMNS, testDays(tx));
  await insertSelect(tx, 'dq_attempt_totals', TOTAL_COLUMNS, attemptTotals(tx));
}

/** Every key the source rows have, queued for the refresher (empty rollups). */
async function queueAll(tx: Knex.Transaction) {
  // A literal: PostgreSQL can't type a parameter in a select list.
  const now = Date.now();
  const dayOfColumn = (column: string) =>
    tx.raw(`cast(${column} / ${DAY_MS} as integer) as day`);
  const keys = [
    tx('dq_attempts').select(
      tx.raw("'s' as kind"),
      'cluster_id',
      'service_id',
      dayOfColumn('started_at'),
    ),
    tx('dq_attempts')
      .whereNotNull('ended_at')
      .whereNot('status', 'IN_PROGRESS')
      .select(
        tx.raw("'e' as kind"),
        'cluster_id',
        'service_id',
        dayOfColumn('ended_at'),
      ),
    tx('dq_test_runs').select(
      tx.raw("'t' as kind"),
      tx.raw("coalesce(cluster_id, '') as cluster_id"),
      tx.raw("coalesce(service_id, '') as service_id"),
      dayOfColumn('executed_at'),
    ),
  ];
  for (const q of keys) {
    const { sql, bindings } = q.toSQL();
    await tx.raw(
      `insert into dq_rollup_dirty (kind, cluster_id, service_id, day, queued_at)
       select distinct k.kind, k.cluster_id, k.service_id, k.day, ${now} from (${sql}) as k`,
      bindings,
    );
  }
}
