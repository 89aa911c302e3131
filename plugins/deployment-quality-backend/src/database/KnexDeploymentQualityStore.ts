import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  ATTEMPT_STATUSES,
  Attempt,
  AttemptStatus,
  ClusterConfigPayload,
  DeploymentPayload,
  EventEnvelope,
  Gates,
  Promotion,
  PromotionPayload,
  TestResultPayload,
  TestRun,
  Trigger,
  deriveAttemptId,
} from '@internal/plugin-deployment-quality-common';
import { Knex } from 'knex';
import {
  AttemptQuery,
  DeploymentQualityStore,
  IngestOutcome,
  PairState,
  RejectedEvent,
  StoredCluster,
} from './DeploymentQualityStore';
import { keysetPage } from './cursor';

/** Rejected bodies are kept for diagnosis, not as an archive. */
const MAX_REJECTED_BODY = 16 * 1024;

const migrationsDir = resolvePackagePath(
  '@internal/plugin-deployment-quality-backend',
  'migrations',
);

type Row = Record<string, any>;

// PostgreSQL returns bigint columns as strings.
const ms = (v: unknown): number => Number(v);
const iso = (v: unknown): string => new Date(ms(v)).toISOString();
const isoOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : iso(v);
const toMs = (v: string): number => Date.parse(v);

function rowToAttempt(r: Row): Attempt {
  return {
    id: r.id,
    clusterId: r.cluster_id,
    serviceId: r.service_id,
    buildVersion: r.build_version,
    gitSha: r.git_sha,
    startedAt: iso(r.started_at),
    endedAt: isoOrNull(r.ended_at),
    status: r.status as AttemptStatus,
    trigger: r.trigger as Trigger,
    ...(r.failure_reason ? { failureReason: r.failure_reason } : {}),
    ...(r.rollback_to_build ? { rollbackToBuild: r.rollback_to_build } : {}),
    source: r.source,
    ...(r.commit_at !== null && r.commit_at !== undefined
      ? { commitAt: iso(r.commit_at) }
      : {}),
  };
}

function rowToTestRun(r: Row): TestRun {
  return {
    attemptId: r.attempt_id,
    suiteType: r.suite_type,
    total: r.total,
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    durationSec: Number(r.duration_sec),
    executedAt: iso(r.executed_at),
    ...(r.report_url ? { reportUrl: r.report_url } : {}),
  };
}

function rowToPromotion(r: Row): Promotion {
  return {
    promotionId: r.promotion_id,
    serviceId: r.service_id,
    buildVersion: r.build_version,
    fromClusterId: r.from_cluster_id,
    toClusterId: r.to_cluster_id,
    promotedBy: r.promoted_by,
    promotedAt: iso(r.promoted_at),
  };
}

/** knex implementation of {@link DeploymentQualityStore}, for SQLite and PostgreSQL. */
export class KnexDeploymentQualityStore implements DeploymentQualityStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexDeploymentQualityStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    if (client.client.config.client === 'better-sqlite3') {
      // WAL lets readers run beside the writer and commits cost one fsync of
      // the log instead of the whole journal dance. Persistent per file; a
      // no-op for in-memory databases.
      await client.raw('PRAGMA journal_mode = WAL');
    }
    return new KnexDeploymentQualityStore(client);
  }

  constructor(private readonly db: Knex) {}

  async ingest(event: EventEnvelope): Promise<IngestOutcome> {
    return this.db.transaction(tx => this.apply(tx, event));
  }

  async ingestBatch(events: EventEnvelope[]): Promise<IngestOutcome[]> {
    return this.db.transaction(async tx => {
      const outcomes: IngestOutcome[] = [];
      for (const event of events) outcomes.push(await this.apply(tx, event));
      return outcomes;
    });
  }

  private async apply(
    tx: Knex.Transaction,
    event: EventEnvelope,
  ): Promise<IngestOutcome> {
    const inserted = await tx('dq_ingested_events')
      .insert({
        event_id: event.eventId,
        event_type: event.eventType,
        source: event.source,
        source_key: event.sourceKey ?? null,
        received_at: toMs(event.receivedAt),
        stored_at: Date.now(),
        payload: JSON.stringify(event.payload),
      })
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    if (inserted.length === 0) {
      return { eventId: event.eventId, duplicate: true };
    }
    switch (event.eventType) {
      case 'deployment':
        await this.applyDeployment(tx, event.payload, event.source);
        break;
      case 'test-result':
        await this.applyTestResult(tx, event.payload, event.eventId);
        break;
      case 'promotion':
        await this.applyPromotion(tx, event.payload);
        break;
      case 'cluster-config':
        await this.applyClusterConfig(
          tx,
          event.payload,
          toMs(event.receivedAt),
        );
        break;
      default:
        // Unreachable for validated events; fail loudly rather than store a log row alone.
        throw new Error(
          `Unknown event type ${(event as { eventType: string }).eventType}`,
        );
    }
    return { eventId: event.eventId, duplicate: false };
  }

  private async applyDeployment(
    tx: Knex.Transaction,
    p: DeploymentPayload,
    source: string,
  ) {
    const id = deriveAttemptId(p);
    const row = {
      id,
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
    await tx('dq_attempts')
      .insert(row)
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
      });

    await tx('dq_service_clusters')
      .insert({
        cluster_id: p.clusterId,
        service_id: p.serviceId,
        first_seen_at: row.started_at,
      })
      .onConflict(['cluster_id', 'service_id'])
      .ignore();

    // Test results that arrived first, by attempt id: fill in where they belong.
    await tx('dq_test_runs')
      .where({ attempt_id: id })
      .whereNull('service_id')
      .update({
        cluster_id: p.clusterId,
        service_id: p.serviceId,
        build_version: p.buildVersion,
      });
    await this.relinkBuildRuns(tx, p.clusterId, p.serviceId, p.buildVersion);
  }

  /**
   * A test result that named its build rather than its attempt belongs to the
   * latest attempt of that build that had started when the tests ran (else
   * the build's first attempt). Re-derived whenever an attempt of the build
   * arrives, so the link doesn't depend on arrival order.
   */
  private async relinkBuildRuns(
    tx: Knex.Transaction,
    clusterId: string,
    serviceId: string,
    buildVersion: string,
  ) {
    const build = {
      cluster_id: clusterId,
      service_id: serviceId,
      build_version: buildVersion,
    };
    const runs: Row[] = await tx('dq_test_runs')
      .where({ ...build, by_build: true })
      .select('id', 'attempt_id', 'executed_at');
    if (runs.length === 0) return;
    const attempts: Row[] = await tx('dq_attempts')
      .where(build)
      .select('id', 'started_at');
    for (const run of runs) {
      const target = attemptForRun(attempts, ms(run.executed_at));
      if (target && target !== run.attempt_id) {
        await tx('dq_test_runs')
          .where({ id: run.id })
          .update({ attempt_id: target });
      }
    }
  }

  private async applyTestResult(
    tx: Knex.Transaction,
    p: TestResultPayload,
    eventId: string,
  ) {
    const run = {
      event_id: eventId,
      suite_type: p.suiteType,
      total: p.total,
      passed: p.passed,
      failed: p.failed,
      skipped: p.skipped,
      duration_sec: p.durationSec,
      executed_at: toMs(p.executedAt),
      report_url: p.reportUrl ?? null,
    };
    if (p.attemptId) {
      const attempt: Row | undefined = await tx('dq_attempts')
        .where({ id: p.attemptId })
        .first('cluster_id', 'service_id', 'build_version');
      await tx('dq_test_runs').insert({
        ...run,
        attempt_id: p.attemptId,
        cluster_id: attempt?.cluster_id ?? null,
        service_id: attempt?.service_id ?? null,
        build_version: attempt?.build_version ?? null,
        by_build: false,
      });
      return;
    }
    const build = {
      cluster_id: p.clusterId!,
      service_id: p.serviceId!,
      build_version: p.buildVersion!,
    };
    const attempts: Row[] = await tx('dq_attempts')
      .where(build)
      .select('id', 'started_at');
    await tx('dq_test_runs').insert({
      ...run,
      ...build,
      attempt_id: attemptForRun(attempts, run.executed_at) ?? null,
      by_build: true,
    });
  }

  private async applyPromotion(tx: Knex.Transaction, p: PromotionPayload) {
    const promotedAt = toMs(p.promotedAt);
    await tx('dq_promotions')
      .insert({
        promotion_id:
          p.promotionId ??
          `${p.serviceId}:${p.buildVersion}:${p.fromClusterId}:${
            p.toClusterId
          }:${Math.floor(promotedAt / 1000)}`,
        service_id: p.serviceId,
        build_version: p.buildVersion,
        from_cluster_id: p.fromClusterId,
        to_cluster_id: p.toClusterId,
        promoted_by: p.promotedBy,
        promoted_at: promotedAt,
      })
      .onConflict('promotion_id')
      .ignore();
  }

  private async applyClusterConfig(
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

  async recordRejected(event: RejectedEvent): Promise<void> {
    await this.db('dq_rejected_events').insert({
      received_at: toMs(event.receivedAt),
      transport: event.transport,
      source: event.source?.slice(0, 100) ?? null,
      event_id: event.eventId?.slice(0, 200) ?? null,
      event_type: event.eventType?.slice(0, 64) ?? null,
      reason: event.reason,
      problems: JSON.stringify(event.problems.slice(0, 100)),
      body: event.body?.slice(0, MAX_REJECTED_BODY) ?? null,
    });
  }

  async listRejected(options: {
    limit: number;
  }): Promise<Array<RejectedEvent & { id: string }>> {
    const rows: Row[] = await this.db('dq_rejected_events')
      .orderBy('id', 'desc')
      .limit(options.limit);
    return rows.map(r => ({
      id: String(r.id),
      receivedAt: iso(r.received_at),
      transport: r.transport,
      ...(r.source ? { source: r.source } : {}),
      ...(r.event_id ? { eventId: r.event_id } : {}),
      ...(r.event_type ? { eventType: r.event_type } : {}),
      reason: r.reason,
      problems: JSON.parse(r.problems),
      ...(r.body ? { body: r.body } : {}),
    }));
  }

  async countRejectedByReason(): Promise<Record<string, number>> {
    const rows: Row[] = await this.db('dq_rejected_events')
      .groupBy('reason')
      .select('reason')
      .count({ n: '*' });
    return Object.fromEntries(rows.map(r => [r.reason, Number(r.n)]));
  }

  async listRegisteredClusters(): Promise<StoredCluster[]> {
    const rows = await this.db('dq_clusters').orderBy('id');
    return rows.map(r => ({
      id: r.id,
      name: r.name,
      type: r.type,
      role: r.role,
      description: r.description,
      ...(r.region ? { region: r.region } : {}),
    }));
  }

  async listSeenClusterIds(): Promise<string[]> {
    const rows = await this.db('dq_service_clusters')
      .distinct('cluster_id')
      .orderBy('cluster_id');
    return rows.map(r => r.cluster_id);
  }

  async listPairStates(filter: {
    clusterId?: string;
    serviceId?: string;
  }): Promise<PairState[]> {
    const db = this.db;
    // One probe per pair, each an index range scan with limit 1: far cheaper
    // than a window function over all of a cluster's attempts.
    const pairs: Row[] = await db('dq_service_clusters as sc')
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

    const latestIds: string[] = pairs.map(p => p.latest_id).filter(Boolean);
    const latest = new Map<string, Attempt>();
    for (const chunk of chunks(latestIds, 500)) {
      const rows = await db('dq_attempts').whereIn('id', chunk);
      for (const r of rows) latest.set(r.id, rowToAttempt(r));
    }
    return pairs
      .filter(p => latest.has(p.latest_id))
      .map(p => ({
        clusterId: p.cluster_id,
        serviceId: p.service_id,
        latestAttempt: latest.get(p.latest_id)!,
        currentVersion: p.current_version ?? null,
      }));
  }

  async countAttemptsByStatus(filter: {
    clusterId: string;
  }): Promise<Record<AttemptStatus, number>> {
    const rows: Row[] = await this.db('dq_attempts')
      .where('cluster_id', filter.clusterId)
      .groupBy('status')
      .select('status')
      .count({ n: '*' });
    const counts = Object.fromEntries(
      ATTEMPT_STATUSES.map(s => [s, 0]),
    ) as Record<AttemptStatus, number>;
    for (const r of rows) counts[r.status as AttemptStatus] = Number(r.n);
    return counts;
  }

  async listAttempts(
    query: AttemptQuery,
  ): Promise<{ attempts: Attempt[]; nextCursor?: string }> {
    const { rows, nextCursor } = await keysetPage(
      this.db('dq_attempts').modify(q => {
        if (query.clusterId) q.where('cluster_id', query.clusterId);
        if (query.serviceId) q.where('service_id', query.serviceId);
        if (query.status) q.where('status', query.status);
        if (query.excludeServiceIds?.length) {
          q.whereNotIn('service_id', query.excludeServiceIds);
        }
      }),
      {
        timeColumn: 'started_at',
        idColumn: 'id',
        limit: query.limit,
        cursor: query.cursor,
      },
    );
    return {
      attempts: rows.map(rowToAttempt),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }

  async listPromotions(query: {
    serviceId: string;
    limit: number;
    cursor?: string;
  }): Promise<{ promotions: Promotion[]; nextCursor?: string }> {
    const { rows, nextCursor } = await keysetPage(
      this.db('dq_promotions').where('service_id', query.serviceId),
      {
        timeColumn: 'promoted_at',
        idColumn: 'promotion_id',
        limit: query.limit,
        cursor: query.cursor,
      },
    );
    return {
      promotions: rows.map(rowToPromotion),
      ...(nextCursor ? { nextCursor } : {}),
    };
  }

  async findLatestAttemptOfBuild(build: {
    clusterId: string;
    serviceId: string;
    buildVersion: string;
  }): Promise<Attempt | undefined> {
    const row = await this.db('dq_attempts')
      .where({
        cluster_id: build.clusterId,
        service_id: build.serviceId,
        build_version: build.buildVersion,
      })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row ? rowToAttempt(row) : undefined;
  }

  async getAttempt(id: string): Promise<Attempt | undefined> {
    const row = await this.db('dq_attempts').where({ id }).first();
    return row ? rowToAttempt(row) : undefined;
  }

  async getGates(attemptIds: string[]): Promise<Map<string, Gates>> {
    const gates = new Map<string, Gates>(attemptIds.map(id => [id, {}]));
    for (const chunk of chunks([...new Set(attemptIds)], 500)) {
      // Oldest first, so a suite's later run (a re-run after a failure)
      // replaces the earlier one: a gate is the suite's latest run. Runs
      // executed at the same instant are ordered by event id, not by arrival
      // (the autoincrement id), so any arrival order gives the same gate.
      const rows = await this.db('dq_test_runs')
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
        ]);
      for (const r of rows) {
        gates.get(r.attempt_id)![r.suite_type.toLowerCase()] = {
          passed: r.passed,
          total: r.total,
          failed: r.failed,
          skipped: r.skipped,
        };
      }
    }
    return gates;
  }

  async listTestRuns(attemptId: string): Promise<TestRun[]> {
    const rows = await this.db('dq_test_runs')
      .where({ attempt_id: attemptId })
      .orderBy([
        { column: 'executed_at', order: 'asc' },
        // As in getGates: independent of arrival order.
        { column: 'event_id', order: 'asc' },
      ]);
    return rows.map(rowToTestRun);
  }

  async listPromotionsOfBuild(
    serviceId: string,
    buildVersion: string,
  ): Promise<Promotion[]> {
    const rows = await this.db('dq_promotions')
      .where({ service_id: serviceId, build_version: buildVersion })
      // The id breaks ties, so promotions made at the same instant come in
      // one order whatever order they arrived in.
      .orderBy([
        { column: 'promoted_at', order: 'asc' },
        { column: 'promotion_id', order: 'asc' },
      ]);
    return rows.map(rowToPromotion);
  }
}

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

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}
