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
  StoredCluster,
} from './DeploymentQualityStore';
import { decodeCursor, encodeCursor } from './cursor';

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
    return new KnexDeploymentQualityStore(client);
  }

  constructor(private readonly db: Knex) {}

  async ingest(event: EventEnvelope): Promise<IngestOutcome> {
    return this.db.transaction(async tx => {
      const inserted = await tx('dq_ingested_events')
        .insert({
          event_id: event.eventId,
          event_type: event.eventType,
          source: event.source,
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
          await this.applyClusterConfig(tx, event.payload);
          break;
        default:
          // Unreachable for validated events; fail loudly rather than store a log row alone.
          throw new Error(
            `Unknown event type ${(event as { eventType: string }).eventType}`,
          );
      }
      return { eventId: event.eventId, duplicate: false };
    });
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
    // The ordering rules, evaluated by the database against the stored row so
    // concurrent writers can't interleave: an IN_PROGRESS row takes anything;
    // a finished row only a finished state with a later endedAt (ties broken
    // by status name, so any arrival order gives the same final row).
    await tx('dq_attempts')
      .insert(row)
      .onConflict('id')
      .merge({
        cluster_id: tx.raw('excluded.cluster_id'),
        service_id: tx.raw('excluded.service_id'),
        build_version: tx.raw('excluded.build_version'),
        git_sha: tx.raw('excluded.git_sha'),
        started_at: tx.raw('excluded.started_at'),
        ended_at: tx.raw('excluded.ended_at'),
        status: tx.raw('excluded.status'),
        trigger: tx.raw('excluded.trigger'),
        failure_reason: tx.raw(
          'coalesce(excluded.failure_reason, dq_attempts.failure_reason)',
        ),
        rollback_to_build: tx.raw(
          'coalesce(excluded.rollback_to_build, dq_attempts.rollback_to_build)',
        ),
        source: tx.raw('excluded.source'),
        commit_at: tx.raw(
          'coalesce(excluded.commit_at, dq_attempts.commit_at)',
        ),
      })
      .whereRaw(
        `dq_attempts.status = 'IN_PROGRESS'
         or (excluded.status <> 'IN_PROGRESS'
             and (excluded.ended_at > dq_attempts.ended_at
                  or (excluded.ended_at = dq_attempts.ended_at
                      and excluded.status > dq_attempts.status)))`,
      );

    await tx('dq_service_clusters')
      .insert({
        cluster_id: p.clusterId,
        service_id: p.serviceId,
        first_seen_at: row.started_at,
      })
      .onConflict(['cluster_id', 'service_id'])
      .ignore();

    // Test results that arrived first: by attempt id (fill in where they
    // belong) or by build (attach to this attempt).
    await tx('dq_test_runs')
      .where({ attempt_id: id })
      .whereNull('service_id')
      .update({
        cluster_id: p.clusterId,
        service_id: p.serviceId,
        build_version: p.buildVersion,
      });
    await tx('dq_test_runs')
      .whereNull('attempt_id')
      .where({
        cluster_id: p.clusterId,
        service_id: p.serviceId,
        build_version: p.buildVersion,
      })
      .update({ attempt_id: id });
  }

  private async applyTestResult(
    tx: Knex.Transaction,
    p: TestResultPayload,
    eventId: string,
  ) {
    let attempt: Row | undefined;
    if (p.attemptId) {
      attempt = await tx('dq_attempts')
        .where({ id: p.attemptId })
        .first('id', 'cluster_id', 'service_id', 'build_version');
    } else {
      attempt = await tx('dq_attempts')
        .where({
          cluster_id: p.clusterId,
          service_id: p.serviceId,
          build_version: p.buildVersion,
        })
        .orderBy([
          { column: 'started_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first('id', 'cluster_id', 'service_id', 'build_version');
    }
    await tx('dq_test_runs').insert({
      event_id: eventId,
      attempt_id: attempt?.id ?? p.attemptId ?? null,
      cluster_id: attempt?.cluster_id ?? p.clusterId ?? null,
      service_id: attempt?.service_id ?? p.serviceId ?? null,
      build_version: attempt?.build_version ?? p.buildVersion ?? null,
      suite_type: p.suiteType,
      total: p.total,
      passed: p.passed,
      failed: p.failed,
      skipped: p.skipped,
      duration_sec: p.durationSec,
      executed_at: toMs(p.executedAt),
      report_url: p.reportUrl ?? null,
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
  ) {
    await tx('dq_clusters')
      .insert({
        id: p.id,
        name: p.name,
        type: p.type,
        role: p.role,
        description: p.description,
        region: p.region ?? null,
        updated_at: Date.now(),
      })
      .onConflict('id')
      .merge();
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
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.db('dq_attempts')
      .modify(q => {
        if (query.clusterId) q.where('cluster_id', query.clusterId);
        if (query.serviceId) q.where('service_id', query.serviceId);
        if (query.status) q.where('status', query.status);
        if (after) {
          q.where(b =>
            b
              .where('started_at', '<', after.startedAt)
              .orWhere(b2 =>
                b2
                  .where('started_at', '=', after.startedAt)
                  .where('id', '<', after.id),
              ),
          );
        }
      })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      attempts: page.map(rowToAttempt),
      ...(rows.length > query.limit && last
        ? {
            nextCursor: encodeCursor({
              startedAt: ms(last.started_at),
              id: last.id,
            }),
          }
        : {}),
    };
  }

  async getAttempt(id: string): Promise<Attempt | undefined> {
    const row = await this.db('dq_attempts').where({ id }).first();
    return row ? rowToAttempt(row) : undefined;
  }

  async getGates(attemptIds: string[]): Promise<Map<string, Gates>> {
    const gates = new Map<string, Gates>(attemptIds.map(id => [id, {}]));
    for (const chunk of chunks([...new Set(attemptIds)], 500)) {
      // Oldest first, so a suite's later run (a re-run after a failure)
      // replaces the earlier one: a gate is the suite's latest run.
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
          { column: 'id', order: 'asc' },
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
        { column: 'id', order: 'asc' },
      ]);
    return rows.map(rowToTestRun);
  }

  async listPromotionsOfBuild(
    serviceId: string,
    buildVersion: string,
  ): Promise<Promotion[]> {
    const rows = await this.db('dq_promotions')
      .where({ service_id: serviceId, build_version: buildVersion })
      .orderBy('promoted_at', 'asc');
    return rows.map(rowToPromotion);
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}
