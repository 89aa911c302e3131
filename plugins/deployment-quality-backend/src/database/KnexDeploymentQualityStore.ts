import {
  DatabaseService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  ATTEMPT_STATUSES,
  Attempt,
  AttemptStatus,
  DEPLOYED_STATUSES,
  EventEnvelope,
  FAILURE_STATUSES,
  Gates,
  Promotion,
  TestRun,
  Trigger,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import {
  AttemptQuery,
  DeploymentQualityStore,
  IngestOutcome,
  PairCounts,
  PairState,
  ServicePairs,
  RecordedRejection,
  RejectedEvent,
  RetentionCounts,
  RetentionRun,
  StoredCluster,
} from './DeploymentQualityStore';
import { chunks } from './chunks';
import { keysetPage } from './cursor';
import { dayLabel } from './rollupQueue';
import {
  RollupRefresher,
  RollupRefresherOptions,
  TouchedDays,
  ensureRollups,
  markStale,
} from './rollups';
import { writeEvents } from './writeEvents';
import { ensurePairStates, refreshPairStates, setsVersion } from './pairStates';
import { latestValidationsKept } from './ClusterValidations';
import { latestScorecardsKept } from './ExternalScorecards';
import { isolateRefused } from './isolateRefused';
import { RejectedEventLog } from './RejectedEventLog';
import { Visibility, onlyVisible } from '../visibility/Visibility';

const migrationsDir = resolvePackagePath(
  '@deployment-quality/plugin-deployment-quality-backend',
  'migrations',
);

type Row = Record<string, any>;

// PostgreSQL returns bigint columns as strings.
const ms = (v: unknown): number => Number(v);
const iso = (v: unknown): string => new Date(ms(v)).toISOString();
const isoOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : iso(v);
const toMs = (v: string): number => Date.parse(v);

const toStoredCluster = (r: Row): StoredCluster => ({
  id: r.id,
  name: r.name,
  type: r.type,
  role: r.role,
  description: r.description,
  ...(r.region ? { region: r.region } : {}),
});

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

/** Test cases of a run retention keeps (or still queued) are kept. */
const withoutRun = (table: string) => (db: Knex) => (q: Knex.QueryBuilder) =>
  q.whereNotExists(
    db('dq_test_runs as r')
      .select(db.raw('1'))
      .where('r.event_id', db.ref(`${table}.event_id`)),
  );

/**
 * Retention keeps what each (cluster, service) pair runs, whatever its age:
 * its latest finished attempt, and the latest attempt that set its current
 * version (a success, or a rollback naming its target). A row is deletable
 * unless it is one of those: each test is a probe of the pair's
 * (cluster, service, ended_at) index that stops at the first newer row.
 */
function currentAttemptsKept(db: Knex) {
  const newer = (defining: boolean) =>
    db('dq_attempts as b')
      .select(db.raw('1'))
      .where('b.cluster_id', db.ref('dq_attempts.cluster_id'))
      .where('b.service_id', db.ref('dq_attempts.service_id'))
      .whereNotNull('b.ended_at')
      .whereNot('b.status', 'IN_PROGRESS')
      .modify(q => {
        if (defining) q.where(setsVersion('b'));
      })
      .where(q =>
        q
          .where('b.ended_at', '>', db.ref('dq_attempts.ended_at'))
          .orWhere(q2 =>
            q2
              .where('b.ended_at', '=', db.ref('dq_attempts.ended_at'))
              .where('b.id', '>', db.ref('dq_attempts.id')),
          ),
      );
  return (q: Knex.QueryBuilder) =>
    q.where(deletable =>
      deletable
        .whereNull('ended_at')
        .orWhere('status', 'IN_PROGRESS')
        .orWhere(notCurrent =>
          notCurrent
            .whereExists(newer(false))
            .where(notVersion =>
              notVersion
                .whereNot(setsVersion('dq_attempts'))
                .orWhereExists(newer(true)),
            ),
        ),
    );
}

/** A pair's row joined with its latest attempt. */
function toPairState(r: Row): PairState {
  return {
    clusterId: r.cluster_id,
    serviceId: r.service_id,
    latestAttempt: rowToAttempt(r),
    currentVersion: r.pair_current_version ?? null,
  };
}

/** 1 when a pair's latest status is one of `statuses`, else 0: a sum counts them. */
function inStatuses(db: Knex, statuses: readonly string[]) {
  return db.raw(
    `case when sc.latest_status in (${statuses
      .map(() => '?')
      .join(', ')}) then 1 else 0 end`,
    [...statuses],
  );
}

/** knex implementation of {@link DeploymentQualityStore}, for SQLite and PostgreSQL. */
export class KnexDeploymentQualityStore implements DeploymentQualityStore {
  static async create(options: {
    database: DatabaseService;
    /** Events about times older than this many days are not stored. */
    retentionDays?: number;
    /** Rows of dq_rejected_events kept; the oldest are dropped beyond. */
    maxRejectedEvents?: number;
    logger?: LoggerService;
    /** The refresher's options; errors and parked keys are logged as well. */
    rollups?: RollupRefresherOptions;
    /** Where reads outside a transaction go (readerFor); default: the database. */
    reads?: Knex;
    /** Set when the owners are notified: what writeEvents queues for them. */
    notify?: { settleMs: number };
  }): Promise<KnexDeploymentQualityStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    await ensurePairStates(client);
    await ensureRollups(client, {
      onError: error =>
        options.logger?.warn(
          `Rollup rebuild failed; every key is queued for the refresher instead: ${error}`,
        ),
    });
    if (client.client.config.client === 'better-sqlite3') {
      // WAL lets readers run beside the writer and commits cost one fsync of
      // the log instead of the whole journal dance. Persistent per file; a
      // no-op for in-memory databases.
      await client.raw('PRAGMA journal_mode = WAL');
    }
    const rollups = new RollupRefresher(client, {
      ...options.rollups,
      onError: error => {
        options.logger?.warn(
          `Rollup refresh failed; its keys stay queued: ${error}`,
        );
        options.rollups?.onError?.(error);
      },
      onKeyParked: key => {
        options.logger?.error(
          `Rollup key ${key.kind}/${key.clusterId}/${key.serviceId}/${dayLabel(
            key.day,
          )} failed to refresh (${
            key.failures
          } time(s)); parked until ${new Date(key.retryAt).toISOString()}: ${
            key.error
          }`,
        );
        options.rollups?.onKeyParked?.(key);
      },
    });
    // Keys a stopped replica queued and didn't refresh. Parked keys don't
    // hold it up: a poisoned key can't keep the backend from starting.
    await rollups.settle();
    return new KnexDeploymentQualityStore(
      client,
      options.retentionDays,
      rollups,
      new RejectedEventLog(client, options.maxRejectedEvents, options.logger),
      options.reads,
      options.notify,
    );
  }

  constructor(
    private readonly db: Knex,
    private readonly retentionDays?: number,
    readonly rollups = new RollupRefresher(db),
    private readonly rejected = new RejectedEventLog(db),
    /** Where reads outside a transaction go: see readerFor. */
    private readonly reads: Knex = db,
    private readonly notify?: { settleMs: number },
  ) {}

  settleRollups(): Promise<number> {
    return this.rollups.settle();
  }

  async ingest(event: EventEnvelope): Promise<IngestOutcome> {
    const [outcome] = await this.ingestBatch([event]);
    return outcome;
  }

  ingestBatch(events: EventEnvelope[]): Promise<IngestOutcome[]> {
    return isolateRefused(batch => this.writeBatch(batch), events);
  }

  /**
   * One transaction; the rollups and the catalog index hear of what it wrote
   * once it committed.
   */
  private async writeBatch(events: EventEnvelope[]): Promise<IngestOutcome[]> {
    const newServices = new Set<string>();
    const changedClusters = new Set<string>();
    const outcomes = await this.db.transaction(tx =>
      writeEvents(tx, events, {
        retentionDays: this.retentionDays,
        newServices,
        notify: this.notify,
        changedClusters,
      }),
    );
    this.rollups.kick();
    if (newServices.size > 0) {
      this.newServiceListeners.forEach(listener => listener([...newServices]));
    }
    if (changedClusters.size > 0) {
      this.changeListeners.forEach(listener => listener([...changedClusters]));
    }
    return outcomes;
  }

  private readonly changeListeners: Array<(clusterIds: string[]) => void> = [];

  /** Called after each commit that wrote attempts or test runs, with their clusters. */
  onClustersChanged(listener: (clusterIds: string[]) => void): void {
    this.changeListeners.push(listener);
  }

  private readonly newServiceListeners: Array<(serviceIds: string[]) => void> =
    [];

  /** Called after each commit that brought services onto a cluster for the first time. */
  onNewServices(listener: (serviceIds: string[]) => void): void {
    this.newServiceListeners.push(listener);
  }

  recordRejected(event: RejectedEvent): Promise<{ dropped: number }> {
    return this.rejected.record(event);
  }

  listRejected(options: {
    limit: number;
    visibility: Visibility;
  }): Promise<RecordedRejection[]> {
    return this.rejected.list(options);
  }

  countRejectedByReason(
    visibility: Visibility,
  ): Promise<Record<string, number>> {
    return this.rejected.countByReason(visibility);
  }

  countDroppedRejected(): Promise<number> {
    return this.rejected.countDropped();
  }

  async listRegisteredClusters(): Promise<StoredCluster[]> {
    const rows = await this.reads('dq_clusters').orderBy('id');
    return rows.map(toStoredCluster);
  }

  async getRegisteredCluster(
    clusterId: string,
  ): Promise<StoredCluster | undefined> {
    const row = await this.reads('dq_clusters').where('id', clusterId).first();
    return row && toStoredCluster(row);
  }

  /**
   * A loose index scan: one index probe per cluster, where DISTINCT would
   * read every (cluster, service) pair, 30,000 rows on a 5,000-service
   * fleet, on every cluster page.
   */
  async listSeenClusterIds(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.reads
      .withRecursive(
        'seen',
        ['id'],
        this.reads.raw(
          `select min(cluster_id) from dq_service_clusters
           union all
           select (select min(cluster_id) from dq_service_clusters
                   where cluster_id > seen.id)
           from seen where seen.id is not null`,
        ),
      )
      .from('seen')
      .whereNotNull('id')
      .select('id');
    return rows.map(r => r.id);
  }

  async hasCluster(clusterId: string): Promise<boolean> {
    const row = await this.reads('dq_service_clusters')
      .where('cluster_id', clusterId)
      .first('cluster_id');
    return row !== undefined;
  }

  async hasService(serviceId: string): Promise<boolean> {
    const row = await this.reads('dq_service_clusters')
      .where('service_id', serviceId)
      .first('service_id');
    return row !== undefined;
  }

  async listPairStates(filter: {
    clusterId?: string;
    serviceId?: string;
    serviceIds?: string[];
    visibility: Visibility;
  }): Promise<PairState[]> {
    const db = this.reads;
    const rows: Row[] = await db('dq_service_clusters as sc')
      .join('dq_attempts as a', 'a.id', 'sc.latest_attempt_id')
      .modify(q => {
        if (filter.clusterId) q.where('sc.cluster_id', filter.clusterId);
        if (filter.serviceId) q.where('sc.service_id', filter.serviceId);
        if (filter.serviceIds) q.whereIn('sc.service_id', filter.serviceIds);
      })
      .modify(onlyVisible(db, filter.visibility, 'sc.service_id'))
      .select('a.*', 'sc.current_version as pair_current_version')
      .orderBy(['sc.cluster_id', 'sc.service_id']);
    return rows.map(toPairState);
  }

  async pageClusterPairs(filter: {
    clusterId: string;
    visibility: Visibility;
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ states: PairState[]; total: number }> {
    const db = this.reads;
    const matching = () =>
      this.visiblePairs(filter.visibility, filter.q).where(
        'sc.cluster_id',
        filter.clusterId,
      );
    // The page from the pair rows alone, then its attempts by id.
    const [pairs, [{ total }]]: [Row[], Row[]] = await Promise.all([
      matching()
        .select('sc.service_id', 'sc.latest_attempt_id', 'sc.current_version')
        .orderByRaw(
          `case when sc.latest_status in ('FAILED', 'ROLLBACK') then 0 when sc.latest_status = 'IN_PROGRESS' then 1 else 2 end,
           lower(coalesce(cs.title, sc.service_id)), sc.service_id`,
        )
        .limit(filter.limit)
        .offset(filter.offset),
      matching().count({ total: '*' }),
    ]);
    const attempts = new Map<string, Row>(
      (
        await db('dq_attempts').whereIn(
          'id',
          pairs.map(p => p.latest_attempt_id),
        )
      ).map((r: Row) => [r.id, r]),
    );
    return {
      states: pairs
        .filter(p => attempts.has(p.latest_attempt_id))
        .map(p =>
          toPairState({
            ...attempts.get(p.latest_attempt_id),
            pair_current_version: p.current_version,
          }),
        ),
      total: Number(total),
    };
  }

  async pageServices(filter: {
    visibility: Visibility;
    clusterId?: string;
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ services: ServicePairs[]; total: number }> {
    const matching = () =>
      this.visiblePairs(filter.visibility, filter.q).modify(q => {
        if (filter.clusterId) q.where('sc.cluster_id', filter.clusterId);
      });
    const [ids, [{ total }]]: [Row[], Row[]] = await Promise.all([
      matching()
        .distinct('sc.service_id')
        .orderBy('sc.service_id')
        .limit(filter.limit)
        .offset(filter.offset),
      matching().countDistinct({ total: 'sc.service_id' }),
    ]);
    const pairs: Row[] = await this.reads('dq_service_clusters')
      .whereIn(
        'service_id',
        ids.map(r => r.service_id),
      )
      .whereNotNull('latest_attempt_id')
      .select('service_id', 'cluster_id', 'latest_started_at')
      .orderBy(['service_id', 'cluster_id']);
    const services = new Map<string, ServicePairs>(
      ids.map(r => [
        r.service_id,
        { serviceId: r.service_id, clusterIds: [], latestAttemptAt: null },
      ]),
    );
    for (const p of pairs) {
      const service = services.get(p.service_id)!;
      service.clusterIds.push(p.cluster_id);
      const at = new Date(Number(p.latest_started_at)).toISOString();
      if (!service.latestAttemptAt || at > service.latestAttemptAt) {
        service.latestAttemptAt = at;
      }
    }
    return { services: [...services.values()], total: Number(total) };
  }

  /**
   * The pairs with an attempt, of services visible to the caller, joined
   * with their catalog link (alias `cs`) and kept to those whose service id
   * or title contains `q`, in any case.
   */
  private visiblePairs(visibility: Visibility, q?: string) {
    const db = this.reads;
    return db('dq_service_clusters as sc')
      .leftJoin('dq_catalog_services as cs', 'cs.service_id', 'sc.service_id')
      .whereNotNull('sc.latest_attempt_id')
      .modify(onlyVisible(db, visibility, 'sc.service_id'))
      .modify(query => {
        if (!q) return;
        // Escaped: a % or _ typed in a search box means itself.
        const like = `%${q.toLowerCase().replace(/[\\%_]/g, c => `\\${c}`)}%`;
        query.where(any =>
          any
            .whereRaw("lower(sc.service_id) like ? escape '\\'", [like])
            .orWhereRaw("lower(cs.title) like ? escape '\\'", [like]),
        );
      });
  }

  async countPairsByCluster(
    visibility: Visibility,
  ): Promise<Map<string, PairCounts>> {
    const db = this.reads;
    const rows: Row[] = await db('dq_service_clusters as sc')
      .whereNotNull('sc.latest_attempt_id')
      .modify(onlyVisible(db, visibility, 'sc.service_id'))
      .groupBy('sc.cluster_id')
      .select('sc.cluster_id')
      .count({ services: '*' })
      .sum({
        healthy: inStatuses(db, DEPLOYED_STATUSES),
        attention: inStatuses(db, FAILURE_STATUSES),
      })
      .max({ latest: 'sc.latest_started_at' });
    return new Map(
      rows.map(r => [
        r.cluster_id,
        {
          services: Number(r.services),
          healthy: Number(r.healthy),
          attention: Number(r.attention),
          latestAttemptAt: new Date(Number(r.latest)).toISOString(),
        },
      ]),
    );
  }

  async countAttemptsByStatus(filter: {
    clusterId: string;
    visibility: Visibility;
  }): Promise<Record<AttemptStatus, number>> {
    await this.rollups.settle();
    const rows: Row[] = await this.reads('dq_attempt_totals')
      .where({ cluster_id: filter.clusterId })
      .modify(
        onlyVisible(
          this.reads,
          filter.visibility,
          'dq_attempt_totals.service_id',
        ),
      )
      .groupBy('status')
      .select('status')
      .sum({ n: 'n' });
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
      this.reads('dq_attempts')
        .modify(q => {
          if (query.clusterId) q.where('cluster_id', query.clusterId);
          if (query.serviceId) q.where('service_id', query.serviceId);
          if (query.status) q.where('status', query.status);
        })
        .modify(
          onlyVisible(this.reads, query.visibility, 'dq_attempts.service_id'),
        ),
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
      this.reads('dq_promotions').where('service_id', query.serviceId),
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
    const row = await this.reads('dq_attempts')
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
    const row = await this.reads('dq_attempts').where({ id }).first();
    return row ? rowToAttempt(row) : undefined;
  }

  async getGates(attemptIds: string[]): Promise<Map<string, Gates>> {
    const gates = new Map<string, Gates>(attemptIds.map(id => [id, {}]));
    for (const chunk of chunks([...new Set(attemptIds)], 500)) {
      // Oldest first, so a suite's later run (a re-run after a failure)
      // replaces the earlier one: a gate is the suite's latest run. Runs
      // executed at the same instant are ordered by event id, not by arrival
      // (the autoincrement id), so any arrival order gives the same gate.
      const rows = await this.reads('dq_test_runs')
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
    const rows = await this.reads('dq_test_runs')
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
    const rows = await this.reads('dq_promotions')
      .where({ service_id: serviceId, build_version: buildVersion })
      // The id breaks ties, so promotions made at the same instant come in
      // one order whatever order they arrived in.
      .orderBy([
        { column: 'promoted_at', order: 'asc' },
        { column: 'promotion_id', order: 'asc' },
      ]);
    return rows.map(rowToPromotion);
  }

  async deleteOlderThan(
    cutoff: Date,
    options: { batchSize: number },
  ): Promise<RetentionCounts> {
    const before = cutoff.getTime();
    // Each batch its own short transaction; attempts and test runs queue
    // the rollup keys of the days they leave in the same one.
    const batches = async (
      table: string,
      key: string,
      time: string,
      rolledUp?: {
        columns: string[];
        touch: (touched: TouchedDays, row: Row) => void;
      },
      kept?: (db: Knex) => (q: Knex.QueryBuilder) => void,
    ) => {
      let deleted = 0;
      for (;;) {
        const n = await this.db.transaction(async (tx): Promise<number> => {
          const doomed: Row[] = await tx(table)
            .select(key, ...(rolledUp?.columns ?? []))
            .where(time, '<', before)
            .modify(kept ? kept(tx) : () => {})
            .limit(options.batchSize);
          for (const chunk of chunks(doomed, 500)) {
            await tx(table)
              .whereIn(
                key,
                chunk.map(r => r[key]),
              )
              .delete();
          }
          if (rolledUp) {
            const touched = new TouchedDays();
            doomed.forEach(r => rolledUp.touch(touched, r));
            await markStale(tx, touched);
            // An unfinished attempt may be a pair's latest, and go.
            await refreshPairStates(tx, touched.pairs());
          }
          return doomed.length;
        });
        if (rolledUp && n) this.rollups.kick();
        deleted += n;
        if (n < options.batchSize) return deleted;
      }
    };
    const counts: RetentionCounts = {
      attempts: await batches(
        'dq_attempts',
        'id',
        'started_at',
        {
          columns: ['cluster_id', 'service_id', 'started_at', 'ended_at'],
          touch: (t, r) => t.attempt(r as any),
        },
        currentAttemptsKept,
      ),
      // After the attempts: the runs of the attempts kept stay with them.
      testRuns: await batches(
        'dq_test_runs',
        'id',
        'executed_at',
        {
          columns: ['cluster_id', 'service_id', 'executed_at'],
          touch: (t, r) => t.testRun(r as any),
        },
        db => q =>
          q.whereNotExists(
            db('dq_attempts as a')
              .select(db.raw('1'))
              .where('a.id', db.ref('dq_test_runs.attempt_id')),
          ),
      ),
      // The cases of the runs kept stay with them.
      testCases: await batches(
        'dq_test_run_cases',
        'event_id',
        'executed_at',
        undefined,
        withoutRun('dq_test_run_cases'),
      ),
      // The promotion that brought a kept attempt's build to its cluster.
      promotions: await batches(
        'dq_promotions',
        'promotion_id',
        'promoted_at',
        undefined,
        db => q =>
          q.whereNotExists(
            db('dq_attempts as a')
              .select(db.raw('1'))
              .where('a.cluster_id', db.ref('dq_promotions.to_cluster_id'))
              .where('a.service_id', db.ref('dq_promotions.service_id'))
              .where('a.build_version', db.ref('dq_promotions.build_version')),
          ),
      ),
      clusterValidations: await batches(
        'dq_cluster_test_runs',
        'id',
        'executed_at',
        undefined,
        latestValidationsKept,
      ),
      externalScorecards: await batches(
        'dq_external_scorecards',
        'id',
        'measured_at',
        undefined,
        latestScorecardsKept,
      ),
      costs: await batches('dq_costs', 'id', 'day'),
      rejectedEvents: await batches('dq_rejected_events', 'id', 'received_at'),
      ingestedEvents: await batches(
        'dq_ingested_events',
        'event_id',
        'received_at',
      ),
      servicePairs: 0,
    };
    await batches(
      'dq_test_case_failures',
      'id',
      'executed_at',
      undefined,
      withoutRun('dq_test_case_failures'),
    );
    await this.deleteUnusedCaseSets(options.batchSize);
    counts.servicePairs = await this.deleteAbandonedPairs(options.batchSize);
    return counts;
  }

  /**
   * Case sets no run uses any more. A set unused for the whole window that
   * a report reuses while this runs may go from under it: that run's cases
   * then read as none, which its counts still show.
   */
  private async deleteUnusedCaseSets(batchSize: number) {
    for (;;) {
      const unused: number[] = await this.db('dq_test_case_sets as s')
        .whereNotExists(
          this.db('dq_test_run_cases as c')
            .select(this.db.raw('1'))
            .where('c.case_set_id', this.db.ref('s.id')),
        )
        .limit(batchSize)
        .pluck('s.id');
      for (const chunk of chunks(unused, 500)) {
        await this.db('dq_test_case_sets').whereIn('id', chunk).delete();
      }
      if (unused.length < batchSize) return;
    }
  }

  /**
   * The pairs left without attempts, which would keep a service listed on a
   * cluster it has left. Walked a page of pairs at a time: one statement
   * over every pair (30,000 at 5,000 services) took 480 ms on PostgreSQL
   * and, on SQLite, held the event loop as long.
   */
  private async deleteAbandonedPairs(pageSize: number): Promise<number> {
    type Pair = { cluster_id: string; service_id: string };
    // Pairs beyond `pair` in primary-key order (`op` '>' or '<'), or from it
    // on with `orEqual`.
    const beyond =
      (pair: Pair, op: '>' | '<', orEqual = false) =>
      (w: Knex.QueryBuilder) =>
        w
          .where('cluster_id', op, pair.cluster_id)
          .orWhere(e =>
            e
              .where('cluster_id', pair.cluster_id)
              .where('service_id', orEqual ? `${op}=` : op, pair.service_id),
          );
    let deleted = 0;
    let after: Pair | undefined;
    for (;;) {
      const from = after;
      const page: Pair[] = await this.db('dq_service_clusters')
        .modify(q => (from ? q.where(beyond(from, '>')) : q))
        .orderBy(['cluster_id', 'service_id'])
        .limit(pageSize)
        .select('cluster_id', 'service_id');
      if (page.length === 0) return deleted;
      const first = page[0];
      const last = page[page.length - 1];
      // The page's range of the primary key, less those with an attempt.
      deleted += await this.db('dq_service_clusters')
        .where(beyond(first, '>', true))
        .where(beyond(last, '<', true))
        .whereNotExists(
          this.db('dq_attempts')
            .select(this.db.raw('1'))
            .whereRaw('dq_attempts.cluster_id = dq_service_clusters.cluster_id')
            .whereRaw(
              'dq_attempts.service_id = dq_service_clusters.service_id',
            ),
        )
        .delete();
      if (page.length < pageSize) return deleted;
      after = last;
    }
  }

  async recordRetentionRun(run: RetentionRun): Promise<void> {
    await this.db('dq_retention_runs').insert({
      started_at: toMs(run.startedAt),
      finished_at: toMs(run.finishedAt),
      cutoff: toMs(run.cutoff),
      deleted: JSON.stringify(run.deleted),
    });
  }

  async retentionRuns(
    since: Date,
  ): Promise<{ latest?: RetentionRun; count: number }> {
    const [latest, counted] = await Promise.all([
      this.db('dq_retention_runs')
        .orderBy([
          { column: 'started_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first(),
      this.db('dq_retention_runs')
        .where('started_at', '>=', since.getTime())
        .count({ n: '*' }),
    ]);
    return {
      count: Number(counted[0]?.n ?? 0),
      ...(latest
        ? {
            latest: {
              startedAt: iso(latest.started_at),
              finishedAt: iso(latest.finished_at),
              cutoff: iso(latest.cutoff),
              deleted: JSON.parse(latest.deleted),
            },
          }
        : {}),
    };
  }
}
