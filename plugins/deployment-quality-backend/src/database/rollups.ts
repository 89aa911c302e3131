import { Knex } from 'knex';
import { LEAD_TIME_SQL } from '../analytics/sql';
import { DAY_MS } from '../analytics/window';
import { chunks } from './chunks';

/**
 * The daily rollups (tables in migrations/20261124000000_daily_rollups.js):
 * derived from dq_attempts and dq_test_runs, recomputed for exactly the
 * (cluster, service, day) keys a transaction touched, from the rows as that
 * transaction leaves them. Recomputing rather than adding deltas keeps them
 * exact whatever the merge rules do to an attempt (its status, start, end
 * or even its cluster may change), and needs no old values.
 *
 * Concurrency: two writers touching the same pair serialize on a
 * transaction-scoped advisory lock (PostgreSQL; SQLite has one writer), so
 * the second recomputes after the first committed and sees its rows.
 */

/** Bump when the derivation changes: the next start rebuilds. */
const ROLLUPS_VERSION = 1;
const ROLLUPS = 'daily-rollups';

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
const lockKey = (clusterId: string, serviceId: string) =>
  `dq-rollup:${clusterId}|${serviceId}`;

interface DayKey {
  clusterId: string;
  serviceId: string;
  day: number;
}

/** What one transaction touched: the keys whose rollups it must refresh. */
export class TouchedDays {
  readonly started = new Map<string, DayKey>();
  readonly ended = new Map<string, DayKey>();
  readonly tested = new Map<string, DayKey>();

  private static add(
    into: Map<string, DayKey>,
    clusterId: string | null,
    serviceId: string | null,
    at: unknown,
  ) {
    if (at === null || at === undefined) return;
    const key = {
      clusterId: clusterId ?? '',
      serviceId: serviceId ?? '',
      day: dayOf(Number(at)),
    };
    into.set(`${key.clusterId}|${key.serviceId}|${key.day}`, key);
  }

  /** An attempt row (old or new values; both when it changed). */
  attempt(row: {
    cluster_id: string;
    service_id: string;
    started_at: unknown;
    ended_at: unknown;
  }) {
    TouchedDays.add(
      this.started,
      row.cluster_id,
      row.service_id,
      row.started_at,
    );
    TouchedDays.add(this.ended, row.cluster_id, row.service_id, row.ended_at);
  }

  testRun(row: {
    cluster_id: string | null;
    service_id: string | null;
    executed_at: unknown;
  }) {
    TouchedDays.add(
      this.tested,
      row.cluster_id,
      row.service_id,
      row.executed_at,
    );
  }

  get empty() {
    return !this.started.size && !this.ended.size && !this.tested.size;
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

const ATTEMPT_DAY_COLUMNS =
  '(kind, day, cluster_id, service_id, status, n, lead_sum)';
const TEST_DAY_COLUMNS =
  '(day, cluster_id, service_id, suite_type, passed, total)';

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

function whereKeys(q: Knex.QueryBuilder, keys: DayKey[]): Knex.QueryBuilder {
  return q.where(any =>
    keys.forEach(k =>
      any.orWhere({
        cluster_id: k.clusterId,
        service_id: k.serviceId,
        day: k.day,
      }),
    ),
  );
}

/** Recomputes the rollups of every key in `touched`, in the caller's transaction. */
export async function refreshRollups(
  tx: Knex.Transaction,
  touched: TouchedDays,
): Promise<void> {
  if (touched.empty) return;
  if (isPg(tx)) {
    const pairs = new Set<string>();
    for (const keys of [touched.started, touched.ended, touched.tested]) {
      for (const k of keys.values())
        pairs.add(lockKey(k.clusterId, k.serviceId));
    }
    // Sorted, so two writers take shared pairs in the same order.
    await tx.raw(
      'select pg_advisory_xact_lock(hashtext(k)) from unnest(?::text[]) as k',
      [[...pairs].sort()],
    );
  }
  // Bounded statements: a few hundred keys at a time; both kinds of a
  // chunk in one delete and one insert.
  const started = chunks([...touched.started.values()], 200);
  const ended = chunks([...touched.ended.values()], 200);
  for (let i = 0; i < Math.max(started.length, ended.length); i++) {
    const kinds = [
      ['s', started[i]],
      ['e', ended[i]],
    ] as const;
    const present = kinds.filter(([, keys]) => keys?.length);
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
  }
  for (const chunk of chunks([...touched.tested.values()], 200)) {
    await whereKeys(tx('dq_test_days'), chunk).delete();
    await insertSelect(
      tx,
      'dq_test_days',
      TEST_DAY_COLUMNS,
      testDays(tx, chunk),
    );
  }
}

/**
 * Fills the rollups from scratch when they don't hold the current
 * derivation: after the migration that adds them, after a change to how
 * they are derived, or after a bulk load that cleared the marker. Writers
 * wait on the table locks meanwhile and then refresh on top.
 */
export async function ensureRollups(db: Knex): Promise<boolean> {
  const current = async (q: Knex) =>
    (await q('dq_derived').where('name', ROLLUPS).first())?.version ===
    ROLLUPS_VERSION;
  if (await current(db)) return false;
  return db.transaction(async tx => {
    if (isPg(tx)) {
      await tx.raw(
        'lock table dq_attempt_days, dq_test_days, dq_derived in exclusive mode',
      );
    }
    if (await current(tx)) return false;
    await tx('dq_attempt_days').delete();
    await tx('dq_test_days').delete();
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
    await tx('dq_derived')
      .insert({ name: ROLLUPS, version: ROLLUPS_VERSION })
      .onConflict('name')
      .merge();
    return true;
  });
}
