import { Knex } from 'knex';
import { AnalyticsWindow } from './window';

/** Query pieces shared by the analytics and the scorecard. */

export const DEPLOYED = ['SUCCESS', 'LIVE'];
export const FAILED = ['FAILED', 'ROLLBACK'];
export const MINUTE_MS = 60_000;

export interface AnalyticsScope {
  serviceId?: string;
  clusterId?: string;
}

export const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
export const minutes = (ms: number) => round(ms / MINUTE_MS, 2);

/** Lead time of a deploy: from the commit when known, else from the start. */
export const LEAD_TIME_SQL = 'ended_at - coalesce(commit_at, started_at)';

export function scopedAttempts(
  db: Knex,
  scope: AnalyticsScope,
  alias = 'dq_attempts',
) {
  return db(
    alias === 'dq_attempts' ? 'dq_attempts' : `dq_attempts as ${alias}`,
  ).modify(q => {
    if (scope.serviceId) q.where(`${alias}.service_id`, scope.serviceId);
    if (scope.clusterId) q.where(`${alias}.cluster_id`, scope.clusterId);
  });
}

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
 */
export function failureRuns(
  db: Knex,
  scope: AnalyticsScope,
  w: AnalyticsWindow,
) {
  const failures = scopedAttempts(db, scope, 'f')
    .whereIn('f.status', FAILED)
    .where('f.ended_at', '<', w.to)
    .select(
      'f.service_id',
      'f.cluster_id',
      'f.ended_at',
      db('dq_attempts as s')
        .min('s.ended_at')
        .whereRaw('s.service_id = f.service_id')
        .whereRaw('s.cluster_id = f.cluster_id')
        .whereIn('s.status', DEPLOYED)
        .whereRaw('s.ended_at > f.ended_at')
        .as('next_ok'),
    );
  return db
    .from(failures.as('fails'))
    .select('service_id', 'next_ok')
    .min({ first_fail: 'ended_at' })
    .groupBy('service_id', 'cluster_id', 'next_ok')
    .havingRaw('min(ended_at) >= ?', [w.from]);
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
