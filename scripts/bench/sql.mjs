// "The same SQL, run directly": each read route's queries, in the order and
// with the parallelism the plugin runs them, written again with the same
// knex builder calls (the plugin is TypeScript; importing it here would
// need its transpiler). Keep in step with:
//   src/database/KnexDeploymentQualityStore.ts  listPairStates, getGates,
//     listAttempts (keysetPage in cursor.ts), countAttemptsByStatus,
//     listRegisteredClusters, listSeenClusterIds
//   src/analytics/KnexAnalytics.ts, src/analytics/sql.ts   compute()
//   src/read/DeploymentQueries.ts   which of those each route calls
// What the routes add on top (catalog lookups, JSON, auth, validation) is
// the overhead the ratio measures.

const DAY_MS = 86_400_000;
const DEPLOYED = ['SUCCESS', 'LIVE'];
const FAILED = ['FAILED', 'ROLLBACK'];
const LEAD_TIME_SQL = 'ended_at - coalesce(commit_at, started_at)';

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/** resolveWindow (analytics/window.ts) for date-only from/to, daily buckets. */
export function dayWindow(from, to) {
  const w = { from: Date.parse(from), to: Date.parse(to) + DAY_MS };
  w.origin = Math.floor(w.from / DAY_MS) * DAY_MS;
  w.size = DAY_MS;
  return w;
}

export function routeSql(db) {
  const allClusters = () =>
    Promise.all([
      db('dq_clusters').orderBy('id'),
      db('dq_service_clusters').distinct('cluster_id').orderBy('cluster_id'),
    ]);

  async function listPairStates(filter) {
    const pairs = await db('dq_service_clusters as sc')
      .modify(q => {
        if (filter.clusterId) q.where('sc.cluster_id', filter.clusterId);
        if (filter.serviceId) q.where('sc.service_id', filter.serviceId);
      })
      .select(
        'sc.cluster_id',
        'sc.service_id',
        db('dq_attempts as a')
          .select('a.id')
          .whereRaw('a.cluster_id = sc.cluster_id')
          .whereRaw('a.service_id = sc.service_id')
          .orderBy([
            { column: 'a.started_at', order: 'desc' },
            { column: 'a.id', order: 'desc' },
          ])
          .limit(1)
          .as('latest_id'),
        db('dq_attempts as a')
          .select(
            db.raw(
              "case when a.status = 'ROLLBACK' then a.rollback_to_build else a.build_version end",
            ),
          )
          .whereRaw('a.cluster_id = sc.cluster_id')
          .whereRaw('a.service_id = sc.service_id')
          .whereNotNull('a.ended_at')
          .where(b =>
            b
              .whereIn('a.status', ['SUCCESS', 'LIVE'])
              .orWhere(b2 =>
                b2
                  .where('a.status', 'ROLLBACK')
                  .whereNotNull('a.rollback_to_build'),
              ),
          )
          .orderBy([
            { column: 'a.ended_at', order: 'desc' },
            { column: 'a.id', order: 'desc' },
          ])
          .limit(1)
          .as('current_version'),
      )
      .orderBy(['sc.cluster_id', 'sc.service_id']);
    const latest = [];
    for (const chunk of chunks(
      pairs.map(p => p.latest_id).filter(Boolean),
      500,
    ))
      latest.push(...(await db('dq_attempts').whereIn('id', chunk)));
    return latest;
  }

  async function getGates(ids) {
    const rows = [];
    for (const chunk of chunks([...new Set(ids)], 500)) {
      rows.push(
        ...(await db('dq_test_runs')
          .whereIn('attempt_id', chunk)
          .select(
            'attempt_id',
            'suite_type',
            'total',
            'passed',
            'failed',
            'skipped',
          )
          .orderBy([
            { column: 'executed_at', order: 'asc' },
            { column: 'event_id', order: 'asc' },
          ])),
      );
    }
    return rows;
  }

  /** cursor.ts keysetPage over a cluster's or a service's attempts. */
  function attemptsPage(filter, limit, cursor) {
    const q = db('dq_attempts').where(filter);
    if (cursor) {
      const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
      q.where(b =>
        b
          .where('started_at', '<', at)
          .orWhere(b2 => b2.where('started_at', '=', at).where('id', '<', id)),
      );
    }
    return q
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
  }

  const scoped = (scope, alias = 'dq_attempts') =>
    db(
      alias === 'dq_attempts' ? 'dq_attempts' : `dq_attempts as ${alias}`,
    ).modify(q => {
      if (scope.serviceId) q.where(`${alias}.service_id`, scope.serviceId);
      if (scope.clusterId) q.where(`${alias}.cluster_id`, scope.clusterId);
    });
  const deploysIn = (scope, w) =>
    scoped(scope)
      .whereIn('status', DEPLOYED)
      .where('ended_at', '>=', w.from)
      .where('ended_at', '<', w.to);
  const bucket = (column, w) =>
    db.raw(`cast((${column} - ?) / ? as integer)`, [w.origin, w.size]);
  const percentile = async (values, n, q) => {
    if (n === 0) return null;
    const lo = Math.floor((n - 1) * q);
    return db
      .from(values.as('vals'))
      .select('v')
      .orderBy('v')
      .limit(2)
      .offset(lo);
  };
  const failureRuns = (scope, w) => {
    const failures = scoped(scope, 'f')
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
  };

  async function dora(scope, w) {
    const finished = await scoped(scope)
      .whereNot('status', 'IN_PROGRESS')
      .where('ended_at', '>=', w.from)
      .where('ended_at', '<', w.to)
      .select('status')
      .count({ n: '*' })
      .groupBy('status');
    const deploys = finished
      .filter(r => DEPLOYED.includes(r.status))
      .reduce((n, r) => n + Number(r.n), 0);
    const leadTimes = deploysIn(scope, w).select({ v: db.raw(LEAD_TIME_SQL) });
    await Promise.all([
      percentile(leadTimes.clone(), deploys, 0.5),
      percentile(leadTimes.clone(), deploys, 0.9),
    ]);
    const counts = await db
      .from(failureRuns(scope, w).as('runs'))
      .select(
        db.raw('count(next_ok) as recovered'),
        db.raw('count(*) as total'),
      );
    const durations = db
      .from(failureRuns(scope, w).as('runs'))
      .whereNotNull('next_ok')
      .select({ v: db.raw('next_ok - first_fail') });
    await percentile(durations, Number(counts[0]?.recovered ?? 0), 0.5);
  }

  const compute = (scope, w) =>
    Promise.all([
      scoped(scope)
        .where('started_at', '>=', w.from)
        .where('started_at', '<', w.to)
        .select({ b: bucket('started_at', w) }, 'status')
        .count({ n: '*' })
        .groupBy('b', 'status'),
      deploysIn(scope, w)
        .select({ b: bucket('ended_at', w) })
        .count({ n: '*' })
        .sum({ lead: db.raw(LEAD_TIME_SQL) })
        .groupBy('b'),
      db('dq_test_runs')
        .modify(q => {
          if (scope.serviceId) q.where('service_id', scope.serviceId);
          if (scope.clusterId) q.where('cluster_id', scope.clusterId);
        })
        .where('executed_at', '>=', w.from)
        .where('executed_at', '<', w.to)
        .select({ b: bucket('executed_at', w) }, 'suite_type')
        .sum({ passed: 'passed', total: 'total' })
        .groupBy('b', 'suite_type'),
      dora(scope, w),
    ]);

  return {
    /** GET /clusters/:id/attempts: getCluster, pair states (visibility), page, gates. */
    async clusterAttempts(clusterId, limit, cursor) {
      await allClusters();
      await listPairStates({ clusterId });
      const rows = await attemptsPage({ cluster_id: clusterId }, limit, cursor);
      await getGates(rows.slice(0, limit).map(r => r.id));
    },
    /** GET /services/:id/attempts: service known (pair states), page, gates. */
    async serviceAttempts(serviceId, limit) {
      await listPairStates({ serviceId });
      const rows = await attemptsPage({ service_id: serviceId }, limit);
      await getGates(rows.slice(0, limit).map(r => r.id));
    },
    /** GET /clusters/:id/summary */
    async clusterSummary(clusterId) {
      await allClusters();
      const [, latest] = await Promise.all([
        db('dq_attempts')
          .where('cluster_id', clusterId)
          .groupBy('status')
          .select('status')
          .count({ n: '*' }),
        listPairStates({ clusterId }),
      ]);
      await getGates(latest.map(a => a.id));
    },
    /** GET /analytics: a service filter first checks the service is known. */
    async analytics(scope, w) {
      if (scope.serviceId) await listPairStates({ serviceId: scope.serviceId });
      await compute(scope, w);
    },
  };
}
