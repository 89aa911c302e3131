import { Knex } from 'knex';
import { AnalyticsWindow } from './window';
import { Visibility, onlyVisible } from '../visibility/Visibility';

/** Query pieces shared by the analytics and the scorecard. */

export const DEPLOYED = ['SUCCESS', 'LIVE'];
export const FAILED = ['FAILED', 'ROLLBACK'];
export const MINUTE_MS = 60_000;

export interface AnalyticsScope {
  serviceId?: string;
  /** A team's or a system's services: one page of them, never the fleet. */
  serviceIds?: string[];
  clusterId?: string;
  /** Services hidden from the caller are left out of every figure. */
  visibility?: Visibility;
}

export const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
export const minutes = (ms: number) => round(ms / MINUTE_MS, 2);

/** Lead time of a deploy: from the commit when known, else from the start. */
export const LEAD_TIME_SQL = 'ended_at - coalesce(commit_at, started_at)';

/** Rows of a table with `service_id`/`cluster_id` columns, in the scope. */
export function scoped(db: Knex, table: string, scope: AnalyticsScope) {
  return db(table).modify(q => {
    if (scope.serviceId) q.where('service_id', scope.serviceId);
    if (scope.serviceIds) q.whereIn('service_id', scope.serviceIds);
    if (scope.clusterId) q.where('cluster_id', scope.clusterId);
    onlyVisible(db, scope.visibility, `${table}.service_id`)(q);
  });
}

export const scopedAttempts = (db: Knex, scope: AnalyticsScope) =>
  scoped(db, 'dq_attempts', scope);

/** Deploys (SUCCESS/LIVE) that ended in the window. */
export function deploysIn(db: Knex, scope: AnalyticsScope, w: AnalyticsWindow) {
  return scopedAttempts(db, scope)
    .whereIn('status', DEPLOYED)
    .where('ended_at', '>=', w.from)
    .where('ended_at', '<', w.to);
}

/**
 * Failure runs: the failed attempts of a (service, cluster) pair between two
 * successes share the next success's endedAt (`next_ok`, null while not
 * recovered), so grouping by it gives one row per run with its first
 * failure (`first_fail`). Only runs whose first failure ended in the window.
 *
 * `next_ok` is a running minimum over the pair's attempts newest first,
 * framed to those that ended strictly later: one ordered pass per pair
 * (the pair/endedAt index gives the order) instead of a probe per failure.
 */
export function failureRuns(
  db: Knex,
  scope: AnalyticsScope,
  w: AnalyticsWindow,
) {
  const deployed = DEPLOYED.map(s => `'${s}'`).join(', ');
  const finished = scopedAttempts(db, scope)
    .whereIn('status', [...DEPLOYED, ...FAILED])
    .whereNotNull('ended_at')
    .select(
      'service_id',
      'cluster_id',
      'status',
      'ended_at',
      db.raw(
        `min(case when status in (${deployed}) then ended_at end) over (
           partition by cluster_id, service_id order by ended_at desc
           range between unbounded preceding and 1 preceding) as next_ok`,
      ),
    );
  return db
    .from(finished.as('fails'))
    .whereIn('status', FAILED)
    .where('ended_at', '<', w.to)
    .select('service_id', 'next_ok')
    .min({ first_fail: 'ended_at' })
    .groupBy('service_id', 'cluster_id', 'next_ok')
    .havingRaw('min(ended_at) >= ?', [w.from]);
}

/**
 * Percentiles (linear interpolation between order statistics, like
 * percentile_cont) of column `v` of `values`, in one ordered pass: only the
 * one or two rows around each percentile's rank come back, with the count
 * of non-null values (`n`) and of all rows (`total`). Ranks use integer
 * arithmetic on both databases, so they agree with the interpolation here.
 */
export async function percentiles(
  db: Knex,
  values: Knex.QueryBuilder,
  percents: number[],
): Promise<{ n: number; total: number; values: Array<number | null> }> {
  const lows = percents.map(p => `(n - 1) * ${Math.round(p)} / 100`);
  const ranked = db.from(values.as('vals')).select(
    'v',
    // Nulls last on both databases (PostgreSQL and SQLite differ).
    db.raw(
      'row_number() over (order by case when v is null then 1 else 0 end, v) as rn',
    ),
    db.raw('count(v) over () as n'),
    db.raw('count(*) over () as total'),
  );
  const rows: Array<Record<string, any>> = await db
    .from(ranked.as('ranked'))
    .select('v', 'rn', 'n', 'total')
    .whereRaw(
      ['rn = 1', ...lows.map(lo => `rn - 1 in (${lo}, ${lo} + 1)`)].join(
        ' or ',
      ),
    );
  const n = Number(rows[0]?.n ?? 0);
  const total = Number(rows[0]?.total ?? 0);
  const at = new Map(rows.map(r => [Number(r.rn) - 1, Number(r.v)]));
  return {
    n,
    total,
    values: percents.map(p => {
      if (n === 0) return null;
      const lo = Math.floor(((n - 1) * Math.round(p)) / 100);
      const frac = ((n - 1) * Math.round(p)) / 100 - lo;
      const a = at.get(lo)!;
      const b = lo + 1 < n ? at.get(lo + 1)! : a;
      return a + (b - a) * frac;
    }),
  };
}

/**
 * The median of `valueSql` per `service_id` over `from`, computed by the
 * database: the one or two middle rows of each service's ordered values.
 * Linear interpolation, like percentile_cont(0.5).
 */
export async function medianByService(
  db: Knex,
  from: Knex.QueryBuilder,
  valueSql: string,
): Promise<Map<string, number>> {
  const ranked = from
    .clone()
    .select(
      'service_id',
      db.raw(`${valueSql} as v`),
      db.raw(
        `row_number() over (partition by service_id order by ${valueSql}) as rn`,
      ),
      db.raw('count(*) over (partition by service_id) as n'),
    );
  const rows: Array<Record<string, any>> = await db
    .from(ranked.as('ranked'))
    .select('service_id', 'v')
    .whereRaw('rn - 1 = (n - 1) / 2 or rn - 1 = n / 2');
  const sums = new Map<string, { total: number; count: number }>();
  for (const r of rows) {
    const s = sums.get(r.service_id) ?? { total: 0, count: 0 };
    s.total += Number(r.v);
    s.count++;
    sums.set(r.service_id, s);
  }
  return new Map([...sums].map(([id, s]) => [id, s.total / s.count]));
}
