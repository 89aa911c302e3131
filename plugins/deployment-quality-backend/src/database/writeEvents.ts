import {
  ClusterConfigPayload,
  DeploymentPayload,
  EventEnvelope,
  ReceivedTestResultPayload,
  deriveAttemptId,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { IngestOutcome } from './DeploymentQualityStore';
import { INSERT_ROWS, chunks } from './chunks';
import { TouchedDays, markStale } from './rollups';
import { refreshPairStates } from './pairStates';
import { writeClusterTestResults } from './ClusterValidations';
import { writeExternalScorecards } from './ExternalScorecards';
import { writeCosts } from './Costs';
import {
  FAILED_STATES,
  enqueueNotifications,
} from '../notifications/NotifyQueue';

type Row = Record<string, any>;
type Build = { cluster_id: string; service_id: string; build_version: string };
type Of<T extends EventEnvelope['eventType']> = Extract<
  EventEnvelope,
  { eventType: T }
>;

const DAY_MS = 86_400_000;
const toMs = (v: string): number => Date.parse(v);
const ms = (v: unknown): number => Number(v);

/**
 * The time retention judges an event by: the same column its rows are
 * deleted by. Cluster configs are current state, never history.
 */
function eventTime(event: EventEnvelope): number | undefined {
  switch (event.eventType) {
    case 'deployment':
      return toMs(event.payload.startedAt);
    case 'test-result':
    case 'cluster-test-result':
      return toMs(event.payload.executedAt);
    case 'scorecard':
      return toMs(event.payload.measuredAt);
    case 'promotion':
      return toMs(event.payload.promotedAt);
    case 'cost':
      return toMs(event.payload.date);
    default:
      return undefined;
  }
}

/** Splits a batch into rounds in which every key appears at most once. */
function rounds<T>(items: T[], key: (item: T) => string): T[][] {
  const out: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    (out[n] ??= []).push(item);
  }
  return out;
}

const buildKey = (b: Build) =>
  `${b.cluster_id}\u0000${b.service_id}\u0000${b.build_version}`;

/**
 * Of a build's attempts, the one a by-build test run belongs to: the latest
 * (by startedAt, then id) that started at or before the run, else the first.
 */
function attemptForRun(
  attempts: Row[],
  executedAt: number,
): string | undefined {
  const byStart = [...attempts].sort(
    (a, b) =>
      ms(a.started_at) - ms(b.started_at) ||
      Number(a.id > b.id) - Number(a.id < b.id),
  );
  const started = byStart.filter(a => ms(a.started_at) <= executedAt);
  return (started.length ? started[started.length - 1] : byStart[0])?.id;
}

/**
 * Writes validated events in the caller's transaction, idempotently by
 * `eventId`, with a fixed number of statements per batch rather than per
 * event: one insert into the event log tells which events are new, then each
 * table gets one multi-row statement. The ordering rules live in the SQL of
 * the attempt upsert, so the result doesn't depend on arrival order or on
 * how events are split into batches.
 */
export async function writeEvents(
  tx: Knex.Transaction,
  events: EventEnvelope[],
  options: {
    retentionDays?: number;
    now?: number;
    /** Filled with the services that appeared on a cluster for the first time. */
    newServices?: Set<string>;
    /**
     * Set when the owners are notified: failed attempts and attempts with
     * new test runs are queued for the notifier (test runs `settleMs` on).
     */
    notify?: { settleMs: number };
    /** Filled with the clusters whose attempts or test runs were written. */
    changedClusters?: Set<string>;
  } = {},
): Promise<IngestOutcome[]> {
  const now = options.now ?? Date.now();
  const cutoff =
    options.retentionDays === undefined
      ? -Infinity
      : now - options.retentionDays * DAY_MS;
  const outcomes: IngestOutcome[] = events.map(e => ({
    eventId: e.eventId,
    duplicate: false,
  }));
  const live = events.filter((event, i) => {
    const time = eventTime(event);
    if (time !== undefined && time < cutoff) {
      outcomes[i].expired = true;
      return false;
    }
    return true;
  });
  if (live.length === 0) return outcomes;

  // An id the log already had, or one repeated later in this batch, is a
  // duplicate: only its first occurrence is applied.
  const fresh = new Set<string>();
  for (const chunk of chunks(live, INSERT_ROWS)) {
    const inserted: Array<{ event_id: string }> = await tx('dq_ingested_events')
      .insert(
        chunk.map(event => ({
          event_id: event.eventId,
          event_type: event.eventType,
          source: event.source,
          source_key: event.sourceKey ?? null,
          received_at: toMs(event.receivedAt),
          stored_at: now,
          payload: JSON.stringify(event.payload),
        })),
      )
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    inserted.forEach(r => fresh.add(r.event_id));
  }
  const applied: EventEnvelope[] = [];
  events.forEach((event, i) => {
    if (outcomes[i].expired) return;
    if (fresh.delete(event.eventId)) applied.push(event);
    else outcomes[i].duplicate = true;
  });

  const ofType = <T extends EventEnvelope['eventType']>(type: T) =>
    applied.filter((e): e is Of<T> => e.eventType === type);
  const touched = new TouchedDays();
  // Deployments first, so test results in the same batch find their attempt.
  const written = await writeDeployments(
    tx,
    ofType('deployment'),
    touched,
    options.newServices,
  );
  const tested = await writeTestResults(
    tx,
    ofType('test-result'),
    touched,
    written,
    options.changedClusters,
  );
  for (const a of written.values()) options.changedClusters?.add(a.cluster_id);
  if (options.notify) {
    await enqueueNotifications(tx, [
      ...[...written.values()]
        .filter(a => FAILED_STATES.includes(a.status))
        .map(a => ({ kind: 'attempt' as const, attemptId: a.id, dueAt: now })),
      ...[...tested].map(attemptId => ({
        kind: 'tests' as const,
        attemptId,
        dueAt: now + options.notify!.settleMs,
      })),
    ]);
  }
  await writePromotions(tx, ofType('promotion'));
  for (const event of ofType('cluster-config')) {
    await writeClusterConfig(tx, event.payload, toMs(event.receivedAt));
  }
  const validations = ofType('cluster-test-result');
  await writeClusterTestResults(tx, validations);
  validations.forEach(e => options.changedClusters?.add(e.payload.clusterId));
  await writeExternalScorecards(tx, ofType('scorecard'));
  await writeCosts(tx, ofType('cost'));
  await markStale(tx, touched);
  await refreshPairStates(tx, touched.pairs());
  return outcomes;
}

function attemptRow(p: DeploymentPayload, source: string) {
  return {
    id: deriveAttemptId(p),
    cluster_id: p.clusterId,
    service_id: p.serviceId,
    build_version: p.buildVersion,
    git_sha: p.gitSha,
    started_at: toMs(p.startedAt),
    ended_at: p.endedAt ? toMs(p.endedAt) : null,
    status: p.status,
    trigger: p.trigger,
    failure_reason: p.failureReason ?? null,
    rollback_to_build: p.rollbackToBuild ?? null,
    source,
    commit_at: p.commitAt ? toMs(p.commitAt) : null,
  };
}

/** Attempts as a write left them, by id: what test runs take from them. */
type Written = Map<string, Row>;

async function writeDeployments(
  tx: Knex.Transaction,
  events: Array<Of<'deployment'>>,
  touched: TouchedDays,
  newServices?: Set<string>,
): Promise<Written> {
  const written: Written = new Map();
  if (events.length === 0) return written;
  const rows = events.map(e => attemptRow(e.payload, e.source));
  const ids = [...new Set(rows.map(r => r.id))];
  // The merged row takes every column from the stored or an incoming row:
  // the days of both are the ones whose rollups may change.
  for (const chunk of chunks(ids, 500)) {
    const stored: Row[] = await tx('dq_attempts')
      .whereIn('id', chunk)
      .select('cluster_id', 'service_id', 'started_at', 'ended_at');
    stored.forEach(r => touched.attempt(r as any));
  }
  rows.forEach(r => touched.attempt(r));

  // The ordering rules, evaluated by the database against the stored row
  // so concurrent writers can't interleave. The incoming event "wins" over
  // an IN_PROGRESS row, and over a finished row only with a finished state
  // that ended later (ties broken by status name). Either way, a commitAt
  // only one of the events carried is kept, so the final row doesn't
  // depend on arrival order.
  const wins = `(dq_attempts.status = 'IN_PROGRESS'
    or (excluded.status <> 'IN_PROGRESS'
        and (excluded.ended_at > dq_attempts.ended_at
             or (excluded.ended_at = dq_attempts.ended_at
                 and excluded.status > dq_attempts.status))))`;
  const winner = (column: string) =>
    tx.raw(
      `case when ${wins} then excluded.${column} else dq_attempts.${column} end`,
    );
  const either = (column: string) =>
    tx.raw(
      `case when ${wins} then coalesce(excluded.${column}, dq_attempts.${column})
            else coalesce(dq_attempts.${column}, excluded.${column}) end`,
    );
  // One statement may not touch a row twice: several events of one attempt
  // in a batch go in successive rounds, each judged by the same rules.
  const statements = rounds(rows, r => r.id).flatMap(round =>
    chunks(round, INSERT_ROWS),
  );
  for (const statement of statements) {
    const merged: Row[] = await tx('dq_attempts')
      .insert(statement)
      .onConflict('id')
      .merge({
        cluster_id: winner('cluster_id'),
        service_id: winner('service_id'),
        build_version: winner('build_version'),
        git_sha: winner('git_sha'),
        started_at: winner('started_at'),
        ended_at: winner('ended_at'),
        status: winner('status'),
        trigger: winner('trigger'),
        failure_reason: winner('failure_reason'),
        rollback_to_build: winner('rollback_to_build'),
        source: winner('source'),
        commit_at: either('commit_at'),
      })
      .returning(['id', 'cluster_id', 'service_id', 'build_version', 'status']);
    merged.forEach(r => written.set(r.id, r));
  }

  const pairs = new Map<string, Row>();
  for (const r of rows) {
    const key = `${r.cluster_id}\u0000${r.service_id}`;
    const pair = pairs.get(key);
    if (!pair || r.started_at < pair.first_seen_at) {
      pairs.set(key, {
        cluster_id: r.cluster_id,
        service_id: r.service_id,
        first_seen_at: r.started_at,
      });
    }
  }
  // Only the pairs inserted come back: new services get linked to the
  // catalog right after the commit (CatalogIndex).
  for (const chunk of chunks([...pairs.values()], INSERT_ROWS)) {
    const inserted: Row[] = await tx('dq_service_clusters')
      .insert(chunk)
      .onConflict(['cluster_id', 'service_id'])
      .ignore()
      .returning(['service_id']);
    inserted.forEach(r => newServices?.add(r.service_id));
  }

  await relinkTestRuns(tx, rows, touched);
  return written;
}

/**
 * The test runs the attempts just written may own, found in one query per
 * few hundred attempts: runs that arrived before their attempt (by attempt
 * id; stored without a cluster or service) and runs that named a build of
 * theirs (re-linked, see relinkBuildRuns). Most batches find none.
 */
async function relinkTestRuns(
  tx: Knex.Transaction,
  attempts: Array<Build & { id: string }>,
  touched: TouchedDays,
) {
  for (const part of chunks(attempts, 250)) {
    const builds = [...new Map(part.map(b => [buildKey(b), b])).values()];
    const found: Array<Row & Build> = await tx('dq_test_runs')
      .where(q =>
        q
          .whereNull('service_id')
          .whereIn('attempt_id', [...new Set(part.map(a => a.id))]),
      )
      .orWhere(q =>
        q.where('by_build', true).whereIn(
          ['cluster_id', 'service_id', 'build_version'],
          builds.map(b => [b.cluster_id, b.service_id, b.build_version]),
        ),
      )
      .select(
        'id',
        'attempt_id',
        'executed_at',
        'cluster_id',
        'service_id',
        'build_version',
        'by_build',
      );
    const waiting = found.filter(r => r.service_id === null);
    if (waiting.length) await fillWaitingRuns(tx, waiting, touched);
    await relinkBuildRuns(
      tx,
      found.filter(r => r.service_id !== null && r.by_build),
    );
  }
}

/**
 * Runs stored before their attempt take its cluster, service and build.
 * They were rolled up under '' (no cluster, no service) and move to the
 * attempt's pair. Raw: knex drops `returning` from an update on SQLite.
 */
async function fillWaitingRuns(
  tx: Knex.Transaction,
  waiting: Row[],
  touched: TouchedDays,
) {
  const fromAttempt = (column: string) =>
    `${column} = (select dq_attempts.${column} from dq_attempts where dq_attempts.id = dq_test_runs.attempt_id)`;
  // Any number of runs may wait for one attempt: a bounded list per statement.
  for (const chunk of chunks(waiting, INSERT_ROWS)) {
    const result = await tx.raw(
      `update dq_test_runs set ${['cluster_id', 'service_id', 'build_version']
        .map(fromAttempt)
        .join(', ')}
       where service_id is null and id in (${chunk.map(() => '?').join(', ')})
       returning cluster_id, service_id, executed_at`,
      chunk.map(r => r.id),
    );
    const filled: Row[] = result.rows ?? result;
    for (const r of filled) {
      touched.testRun({ ...r, cluster_id: null, service_id: null } as any);
      touched.testRun(r as any);
    }
  }
}

/**
 * A test result that named its build rather than its attempt belongs to the
 * latest attempt of that build that had started when the tests ran (else
 * the build's first attempt). Re-derived whenever attempts of the build
 * arrive, so the link doesn't depend on arrival order.
 */
async function relinkBuildRuns(tx: Knex.Transaction, runs: Array<Row & Build>) {
  if (runs.length === 0) return;
  const attempts = await attemptsOfBuilds(tx, runs);
  for (const run of runs) {
    const target = attemptForRun(
      attempts.get(buildKey(run)) ?? [],
      ms(run.executed_at),
    );
    if (target && target !== run.attempt_id) {
      await tx('dq_test_runs')
        .where({ id: run.id })
        .update({ attempt_id: target });
    }
  }
}

/** Every attempt of the given builds, grouped by build. */
async function attemptsOfBuilds(
  tx: Knex.Transaction,
  builds: Build[],
): Promise<Map<string, Row[]>> {
  const keys = [...new Map(builds.map(b => [buildKey(b), b])).values()].map(
    b => [b.cluster_id, b.service_id, b.build_version],
  );
  const byBuild = new Map<string, Row[]>();
  for (const chunk of chunks(keys, INSERT_ROWS)) {
    const rows: Array<Row & Build> = await tx('dq_attempts')
      .whereIn(['cluster_id', 'service_id', 'build_version'], chunk)
      .select('id', 'started_at', 'cluster_id', 'service_id', 'build_version');
    for (const row of rows) {
      const key = buildKey(row);
      byBuild.set(key, [...(byBuild.get(key) ?? []), row]);
    }
  }
  return byBuild;
}

async function writeTestResults(
  tx: Knex.Transaction,
  events: Array<Of<'test-result'>>,
  touched: TouchedDays,
  written: Written,
  changedClusters?: Set<string>,
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const run = (eventId: string, p: ReceivedTestResultPayload) => ({
    event_id: eventId,
    suite_type: p.suiteType,
    total: p.total,
    passed: p.passed,
    failed: p.failed,
    skipped: p.skipped,
    duration_sec: p.durationSec,
    executed_at: toMs(p.executedAt),
    report_url: p.reportUrl ?? null,
  });

  const byAttempt = events.filter(e => e.payload.attemptId);
  // Attempts this batch wrote are known; only the others are looked up.
  const known = new Map(written);
  const unknown = [...new Set(byAttempt.map(e => e.payload.attemptId!))].filter(
    id => !known.has(id),
  );
  for (const chunk of chunks(unknown, 500)) {
    const rows: Row[] = await tx('dq_attempts')
      .whereIn('id', chunk)
      .select('id', 'cluster_id', 'service_id', 'build_version');
    for (const row of rows) known.set(row.id, row);
  }
  const byBuild = events.filter(e => !e.payload.attemptId);
  const builds = await attemptsOfBuilds(
    tx,
    byBuild.map(e => ({
      cluster_id: e.payload.clusterId!,
      service_id: e.payload.serviceId!,
      build_version: e.payload.buildVersion!,
    })),
  );

  const rows = [
    ...byAttempt.map(e => {
      const attempt = known.get(e.payload.attemptId!);
      return {
        ...run(e.eventId, e.payload),
        attempt_id: e.payload.attemptId,
        cluster_id: attempt?.cluster_id ?? null,
        service_id: attempt?.service_id ?? null,
        build_version: attempt?.build_version ?? null,
        by_build: false,
      };
    }),
    ...byBuild.map(e => {
      const build = {
        cluster_id: e.payload.clusterId!,
        service_id: e.payload.serviceId!,
        build_version: e.payload.buildVersion!,
      };
      const row = run(e.eventId, e.payload);
      return {
        ...row,
        ...build,
        attempt_id:
          attemptForRun(builds.get(buildKey(build)) ?? [], row.executed_at) ??
          null,
        by_build: true,
      };
    }),
  ];
  for (const chunk of chunks(rows, INSERT_ROWS)) {
    await tx('dq_test_runs').insert(chunk);
  }
  rows.forEach(r => {
    touched.testRun(r);
    if (r.cluster_id) changedClusters?.add(r.cluster_id);
  });
  // The attempts these runs belong to, as far as they are known yet.
  return new Set(rows.flatMap(r => (r.attempt_id ? [r.attempt_id] : [])));
}

async function writePromotions(
  tx: Knex.Transaction,
  events: Array<Of<'promotion'>>,
) {
  if (events.length === 0) return;
  const rows = new Map<string, Row>();
  for (const { payload: p } of events) {
    const promotedAt = toMs(p.promotedAt);
    const promotionId =
      p.promotionId ??
      `${p.serviceId}:${p.buildVersion}:${p.fromClusterId}:${
        p.toClusterId
      }:${Math.floor(promotedAt / 1000)}`;
    if (rows.has(promotionId)) continue;
    rows.set(promotionId, {
      promotion_id: promotionId,
      service_id: p.serviceId,
      build_version: p.buildVersion,
      from_cluster_id: p.fromClusterId,
      to_cluster_id: p.toClusterId,
      promoted_by: p.promotedBy,
      promoted_at: promotedAt,
    });
  }
  for (const chunk of chunks([...rows.values()], INSERT_ROWS)) {
    await tx('dq_promotions').insert(chunk).onConflict('promotion_id').ignore();
  }
}

async function writeClusterConfig(
  tx: Knex.Transaction,
  p: ClusterConfigPayload,
  receivedAt: number,
) {
  // The config received last wins, whatever order the events are applied in.
  await tx('dq_clusters')
    .insert({
      id: p.id,
      name: p.name,
      type: p.type,
      role: p.role,
      description: p.description,
      region: p.region ?? null,
      updated_at: receivedAt,
    })
    .onConflict('id')
    .merge()
    .where('dq_clusters.updated_at', '<=', receivedAt);
}
