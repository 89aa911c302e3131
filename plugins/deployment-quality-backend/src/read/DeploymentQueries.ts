import { NotFoundError } from '@backstage/errors';
import {
  DEFAULT_DORA_BENCHMARK,
  DoraBenchmarkYear,
  ANALYTICS_DEFINITIONS,
  AnalyticsResponse,
  Attempt,
  AttemptStatus,
  AttemptsPage,
  BuildDetailResponse,
  Cluster,
  ClusterHealth,
  ClusterSummaryResponse,
  ClusterValidationsResponse,
  ClustersResponse,
  CostResponse,
  DEFAULT_COST_COMPARE_DAYS,
  ExternalScorecardsResponse,
  EntityRollupResponse,
  EntitySummaryResponse,
  FAILURE_STATUSES,
  GateCheckResponse,
  LatestAttempt,
  ScorecardPolicy,
  ScorecardEntry,
  ScorecardResponse,
  ServicesResponse,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  AttemptQuery,
  DeploymentQualityStore,
  PairState,
} from '../database/DeploymentQualityStore';
import { CatalogIndex } from '../visibility/CatalogIndex';
import { SEES_ALL, Visibility, visibilityKey } from '../visibility/Visibility';
import { FiguresCache } from '../analytics/FiguresCache';
import { ClusterValidations } from '../database/ClusterValidations';
import { ExternalScorecards } from '../database/ExternalScorecards';
import { Costs } from '../database/Costs';
import { GatePolicy } from '../config';
import { evaluateGates } from '../gates/evaluateGates';
import { Quarantine } from '../database/Quarantine';
import { TestCaseStore } from '../database/TestCases';
import { KnexAnalytics } from '../analytics/KnexAnalytics';
import { KnexScorecard } from '../analytics/KnexScorecard';
import { ScorecardInputs, scoreService } from '../analytics/scoring';
import { resolveWindow } from '../analytics/window';

/** A cluster known only from its attempts. */
const unregisteredCluster = (id: string): Cluster => ({
  id,
  name: id,
  type: '',
  role: '',
  description: '',
  configured: false,
});

const NO_SERVICES: ClusterHealth = {
  services: 0,
  healthy: 0,
  attention: 0,
  latestAttemptAt: null,
};

/** How a fleet-wide read may answer. */
export interface FleetReadOptions {
  /**
   * Wait for the answer as of the latest write instead of one kept up to
   * `maxStaleMs` (HTTP: `Cache-Control: no-cache`). A page reloading
   * because a live signal told it of a write asks this way: the kept
   * answer predates that write.
   */
  fresh?: boolean;
}

/**
 * The read side: composes store queries, configured clusters and catalog
 * links into the answers of the contract. Knows nothing about HTTP or
 * credentials: each cluster-wide read gets the caller's {@link Visibility}
 * (see VisibilityResolver) and leaves hidden services out of its lists and
 * its aggregates; entity reads get a service the caller may read.
 */
export class DeploymentQueries {
  private readonly quarantine?: Pick<Quarantine, 'failuresOf'>;
  private readonly testCases?: Pick<TestCaseStore, 'failedTestsOf'>;

  constructor(
    private readonly store: DeploymentQualityStore,
    private readonly analyticsQueries: KnexAnalytics,
    private readonly scorecardQueries: KnexScorecard,
    private readonly validations: ClusterValidations,
    private readonly externalScorecards: ExternalScorecards,
    private readonly costs: Costs,
    private readonly configuredClusters: Cluster[],
    private readonly index: Pick<CatalogIndex, 'links' | 'generation'>,
    private readonly visible: (
      visibility: Visibility,
      serviceId: string,
    ) => Promise<void>,
    options: {
      /** Fleet-wide answers kept (see fleetRead); 0: none. */
      cacheEntries?: number;
      maxStaleMs?: number;
      /** The DORA benchmark of answers whose query names none. */
      doraBenchmark?: DoraBenchmarkYear;
      /** Quarantined tests, whose failures the gate check sets apart. */
      quarantine?: Pick<Quarantine, 'failuresOf'>;
      /** The failed tests a build detail lists. */
      testCases?: Pick<TestCaseStore, 'failedTestsOf'>;
    } = {},
  ) {
    this.quarantine = options.quarantine;
    this.testCases = options.testCases;
    this.doraBenchmark = options.doraBenchmark ?? DEFAULT_DORA_BENCHMARK;
    const cached = {
      maxEntries: options.cacheEntries ?? 0,
      maxStaleMs: options.maxStaleMs ?? 0,
    };
    this.fleetCache = new FiguresCache(cached);
    this.costCache = new FiguresCache(cached);
  }

  private readonly fleetCache: FiguresCache<unknown>;
  private readonly costCache: FiguresCache<CostResponse>;
  private readonly doraBenchmark: DoraBenchmarkYear;

  /**
   * A cluster-wide answer (the overview, a cluster page, the service list):
   * every user opening a view asks the same, and at thousands of services
   * each costs a fleet-sized query. Kept per question and caller's
   * visibility while neither the stored rows (the rollups' generation) nor
   * the catalog links changed, and served up to `maxStaleMs` after either
   * moved while a fresh one is computed (FiguresCache).
   */
  private fleetRead<T>(
    key: unknown[],
    visibility: Visibility,
    compute: () => Promise<T>,
    options: FleetReadOptions & {
      /** Another counter the answer depends on. */
      also?: () => Promise<number>;
    } = {},
  ): Promise<T> {
    const { also, fresh = false } = options;
    // Every move counts: a write, or a sync that changed a catalog link.
    // Each counter only grows, so their sum moves whenever one does.
    const generation = async () => {
      const [rows, links, other] = await Promise.all([
        this.store.settleRollups(),
        this.index.generation(),
        also?.() ?? 0,
      ]);
      return rows * 1e6 + links + other;
    };
    return this.fleetCache.get(
      JSON.stringify([...key, visibilityKey(visibility)]),
      generation,
      compute,
      !fresh,
    ) as Promise<T>;
  }

  /**
   * Analytics for a service, a cluster, both or everything. An unknown
   * cluster is a 404; so is an unknown or hidden service unless it comes
   * from an entity the caller may read (which then may have no data yet).
   * Analytics across services are aggregates over the visible services.
   */
  async analytics(
    query: {
      serviceId?: string;
      clusterId?: string;
      from?: string;
      to?: string;
      bucket: 'day' | 'week';
      benchmark?: DoraBenchmarkYear;
    },
    options:
      | { fromEntity: true }
      | { fromEntity?: false; visibility: Visibility },
  ): Promise<AnalyticsResponse> {
    const window = resolveWindow(query);
    if (query.clusterId) await this.getCluster(query.clusterId);
    if (query.serviceId && !options.fromEntity) {
      await this.assertServiceKnown(query.serviceId);
      await this.visible(options.visibility, query.serviceId);
    }
    const scope = {
      serviceId: query.serviceId,
      clusterId: query.clusterId,
      ...(options.fromEntity ? {} : { visibility: options.visibility }),
    };
    return {
      filter: {
        ...(scope.serviceId ? { serviceId: scope.serviceId } : {}),
        ...(scope.clusterId ? { clusterId: scope.clusterId } : {}),
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
        bucket: window.bucket,
      },
      ...(await this.analyticsQueries.compute(
        scope,
        window,
        query.benchmark ?? this.doraBenchmark,
      )),
      // Read beside the cached figures: validation writes don't move the
      // rollups' generation, and a window holds a few runs per cluster a day.
      clusterValidationPassRates: {
        labels: window.labels,
        suites: scope.serviceId
          ? {}
          : await this.validations.passRates(
              scope.clusterId,
              window,
              window.labels.length,
            ),
      },
      definitions: ANALYTICS_DEFINITIONS,
    };
  }

  /** Configured clusters, then event-registered ones, then ids only seen in attempts. */
  private async allClusters(): Promise<Cluster[]> {
    const [registered, seen] = await Promise.all([
      this.store.listRegisteredClusters(),
      this.store.listSeenClusterIds(),
    ]);
    const byId = new Map<string, Cluster>();
    for (const c of this.configuredClusters) byId.set(c.id, c);
    for (const c of registered) {
      if (!byId.has(c.id)) byId.set(c.id, { ...c, configured: true });
    }
    for (const id of seen) {
      if (!byId.has(id)) byId.set(id, unregisteredCluster(id));
    }
    return [...byId.values()];
  }

  /**
   * allClusters for a service's page, which every entity view asks: kept as
   * a fleet read, and read afresh when it lacks one of `clusterIds` (a
   * cluster first deployed to since).
   */
  private async clustersListing(clusterIds: string[]): Promise<Cluster[]> {
    const kept = await this.fleetRead(['clusters-listed'], SEES_ALL, () =>
      this.allClusters(),
    );
    const known = new Set(kept.map(c => c.id));
    return clusterIds.every(id => known.has(id)) ? kept : this.allClusters();
  }

  /** One cluster as allClusters lists it, by index probes (every cluster page asks). */
  private async getCluster(clusterId: string): Promise<Cluster> {
    const configured = this.configuredClusters.find(c => c.id === clusterId);
    if (configured) return configured;
    const [registered, seen, validated, costed] = await Promise.all([
      this.store.getRegisteredCluster(clusterId),
      this.store.hasCluster(clusterId),
      this.validations.hasCluster(clusterId),
      this.costs.hasCluster(clusterId),
    ]);
    if (registered) return { ...registered, configured: true };
    if (seen || validated || costed) return unregisteredCluster(clusterId);
    throw new NotFoundError(`No cluster ${clusterId}`);
  }

  /** A cluster-region's own validation suites: latest run and recent strip. */
  async clusterValidations(
    clusterId: string,
  ): Promise<ClusterValidationsResponse> {
    await this.getCluster(clusterId);
    return this.validations.forCluster(clusterId);
  }

  /**
   * What a service (every cluster-region) or a cluster-region (its visible
   * services) cost in a window. A service's is read afresh (a few
   * milliseconds); a cluster-region's is a fleet-sized computation, kept
   * like a fleet read but against the cost figures' own version too, since
   * cost writes don't move the rollups' generation.
   */
  async cost(
    scope:
      | { serviceId: string }
      | { clusterId: string; visibility: Visibility },
    query: { from?: string; to?: string; compareDays?: number },
  ): Promise<CostResponse> {
    const report = () => {
      const window = resolveWindow({ ...query, bucket: 'day' });
      return this.costs.report(scope, {
        from: window.from,
        to: window.to,
        compareDays: query.compareDays ?? DEFAULT_COST_COMPARE_DAYS,
      });
    };
    if ('serviceId' in scope) return report();
    await this.getCluster(scope.clusterId);
    return this.costCache.get(
      JSON.stringify([scope.clusterId, query, visibilityKey(scope.visibility)]),
      () => this.costGeneration(),
      report,
      true,
    );
  }

  /**
   * What a cluster-region's cost answer depends on: its figures (their own
   * version), its deployments (the rollups' generation) and which services
   * the catalog links. Each is a counter that only grows, so their sum
   * moves whenever one of them does.
   */
  private async costGeneration(): Promise<number> {
    const [costs, rows, links] = await Promise.all([
      this.costs.generation(),
      this.store.settleRollups(),
      this.index.generation(),
    ]);
    return costs + rows + links;
  }

  /** The catalog links of a page of services. */
  private links(states: PairState[]) {
    return this.index.links(states.map(s => s.serviceId));
  }

  /**
   * The clusters with their services' health (a fleet read) and their own
   * validations, read afresh each time: one row per (cluster, suite), and
   * their writes don't move the rollups' generation that the fleet read
   * waits for.
   */
  async listClusters(
    visibility: Visibility,
    read: FleetReadOptions = {},
  ): Promise<ClustersResponse> {
    const [clusters, validations] = await Promise.all([
      this.fleetRead(
        ['clusters'],
        visibility,
        () => this.clusters(visibility),
        read,
      ),
      this.validations.summaries(),
    ]);
    const known = new Set(clusters.map(c => c.id));
    const validatedOnly = [...validations.keys()]
      .filter(id => !known.has(id))
      .sort()
      .map(id => ({ ...unregisteredCluster(id), summary: NO_SERVICES }));
    return {
      clusters: [...clusters, ...validatedOnly].map(c => ({
        ...c,
        validations: validations.get(c.id) ?? { suites: 0, failing: 0 },
      })),
    };
  }

  private async clusters(
    visibility: Visibility,
  ): Promise<Array<Cluster & { summary: ClusterHealth }>> {
    const [clusters, counts] = await Promise.all([
      this.allClusters(),
      this.store.countPairsByCluster(visibility),
    ]);
    return clusters.map(cluster => ({
      ...cluster,
      summary: counts.get(cluster.id) ?? NO_SERVICES,
    }));
  }

  clusterSummary(
    clusterId: string,
    visibility: Visibility,
    page: { limit: number; offset: number; q?: string },
    read: FleetReadOptions = {},
  ): Promise<ClusterSummaryResponse> {
    return this.fleetRead(
      ['summary', clusterId, page],
      visibility,
      () => this.summaryOf(clusterId, visibility, page),
      read,
    );
  }

  private async summaryOf(
    clusterId: string,
    visibility: Visibility,
    page: { limit: number; offset: number; q?: string },
  ): Promise<ClusterSummaryResponse> {
    const [cluster, counts, { states, total }] = await Promise.all([
      this.getCluster(clusterId),
      this.store.countAttemptsByStatus({ clusterId, visibility }),
      this.store.pageClusterPairs({ clusterId, visibility, ...page }),
    ]);
    const [gates, links] = await Promise.all([
      this.store.getGates(states.map(s => s.latestAttempt.id)),
      this.links(states),
    ]);
    const attempts = Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      cluster,
      summary: {
        totalAttempts: attempts,
        success: counts.SUCCESS + counts.LIVE,
        failed: counts.FAILED,
        rollback: counts.ROLLBACK,
        inProgress: counts.IN_PROGRESS,
      },
      services: states.map(s => {
        const link = links.get(s.serviceId);
        return {
          serviceId: s.serviceId,
          serviceName: link?.title ?? s.serviceId,
          ...(link ? { entityRef: link.entityRef } : {}),
          currentVersion: s.currentVersion,
          latestAttempt: toLatestAttempt(s.latestAttempt),
          gates: gates.get(s.latestAttempt.id) ?? {},
        };
      }),
      servicesPage: { offset: page.offset, limit: page.limit, total },
    };
  }

  /**
   * A page of attempts. Within a cluster, attempts of services hidden from
   * the caller are left out (in the query, so pages stay full); a hidden
   * service's own list is a 404.
   */
  async listAttempts(
    query: {
      clusterId?: string;
      serviceId?: string;
      status?: AttemptStatus;
      limit: number;
      cursor?: string;
    },
    visibility: Visibility,
    read: FleetReadOptions = {},
  ): Promise<AttemptsPage> {
    const [page] = await Promise.all([
      // A cluster's lists (the overview asks each cluster for its failures)
      // are fleet reads; one service's are exact.
      query.serviceId
        ? this.attemptsPage({ ...query, visibility })
        : this.fleetRead(
            ['attempts', query],
            visibility,
            () => this.attemptsPage({ ...query, visibility }),
            read,
          ),
      query.clusterId && this.getCluster(query.clusterId),
      query.serviceId && this.visible(visibility, query.serviceId),
    ]);
    return page;
  }

  /** A page of one entity's service: the entity route already checked access. */
  async listEntityAttempts(query: {
    serviceId: string;
    clusterId?: string;
    status?: AttemptStatus;
    limit: number;
    cursor?: string;
  }): Promise<AttemptsPage> {
    return this.attemptsPage({ ...query, visibility: SEES_ALL });
  }

  private async attemptsPage(query: AttemptQuery): Promise<AttemptsPage> {
    const page = await this.store.listAttempts(query);
    const gates = await this.store.getGates(page.attempts.map(a => a.id));
    return {
      attempts: page.attempts.map(a => ({
        ...a,
        gates: gates.get(a.id) ?? {},
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** 404 unless the service has at least one attempt. */
  async assertServiceKnown(serviceId: string): Promise<void> {
    if (!(await this.store.hasService(serviceId))) {
      throw new NotFoundError(`No service ${serviceId}`);
    }
  }

  listServices(
    visibility: Visibility,
    page: { limit: number; offset: number; q?: string; clusterId?: string },
    read: FleetReadOptions = {},
  ): Promise<ServicesResponse> {
    return this.fleetRead(
      ['services', page],
      visibility,
      () => this.servicesPage(visibility, page),
      read,
    );
  }

  private async servicesPage(
    visibility: Visibility,
    page: { limit: number; offset: number; q?: string; clusterId?: string },
  ): Promise<ServicesResponse> {
    const { services, total } = await this.store.pageServices({
      visibility,
      ...page,
    });
    const links = await this.index.links(services.map(s => s.serviceId));
    return {
      services: services.map(s => {
        const link = links.get(s.serviceId);
        return {
          serviceId: s.serviceId,
          ...(link ? { entityRef: link.entityRef } : {}),
          clusters: s.clusterIds,
          latestAttemptAt: s.latestAttemptAt,
        };
      }),
      servicesPage: { offset: page.offset, limit: page.limit, total },
    };
  }

  /** A hidden service's build answers the same 404 as a missing one. */
  async buildDetail(
    attemptId: string,
    visibility: Visibility,
  ): Promise<BuildDetailResponse> {
    const attempt = await this.store.getAttempt(attemptId);
    const missing = new NotFoundError(`No attempt ${attemptId}`);
    if (!attempt) throw missing;
    await this.visible(visibility, attempt.serviceId).catch(() => {
      throw missing;
    });
    const [testRuns, promotions, failedTests, links] = await Promise.all([
      this.store.listTestRuns(attemptId),
      this.store.listPromotionsOfBuild(attempt.serviceId, attempt.buildVersion),
      this.testCases?.failedTestsOf(attemptId) ?? [],
      this.index.links([attempt.serviceId]),
    ]);
    const link = links.get(attempt.serviceId);
    return {
      attempt,
      testRuns,
      promotions,
      ...(link ? { entityRef: link.entityRef } : {}),
      failedTests,
    };
  }

  /** Every visible service's quality score over the window, best first. */
  /**
   * Every visible service's score (a fleet read: scoring and linking
   * thousands of rows), with the scorecards other tools sent beside it,
   * read afresh: their writes don't move the rollups' generation.
   */
  async scorecard(
    query: { from?: string; to?: string },
    policy: ScorecardPolicy,
    visibility: Visibility,
  ): Promise<ScorecardResponse> {
    // The other tools' scores are part of the kept answer, so every
    // request for it sends the same bytes (serialized once: 2 MB at 5,000
    // services; merged per request, each request serialized it anew).
    return this.fleetRead(
      ['scorecard', query, policy],
      visibility,
      async () => {
        const card = await this.scoreAll(query, policy, visibility);
        return { ...card, services: await this.withExternal(card.services) };
      },
      { also: () => this.externalScorecards.generation() },
    );
  }

  /** One service's scorecards from other tools, newest per name. */
  externalScorecardsOf(serviceId: string): Promise<ExternalScorecardsResponse> {
    return this.externalScorecards.forService(serviceId);
  }

  private async withExternal(rows: ScoredRow[]): Promise<ScorecardEntry[]> {
    const external = await this.externalScorecards.latestFor(
      rows.map(r => r.serviceId),
    );
    return rows.map(r => ({ ...r, external: external.get(r.serviceId) ?? [] }));
  }

  private async scoreAll(
    query: { from?: string; to?: string },
    policy: ScorecardPolicy,
    visibility: Visibility,
  ): Promise<Omit<ScorecardResponse, 'services'> & { services: ScoredRow[] }> {
    const window = resolveWindow({ ...query, bucket: 'day' });
    const inputs = await this.scorecardQueries.inputs(window, { visibility });
    const links = await this.index.links([...inputs.keys()]);
    const services = scoreRows(inputs, links, policy);
    return {
      window: {
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
      },
      policy,
      services,
    };
  }

  /**
   * The quality-gate check: 404 when the build never ran on the cluster,
   * and the same 404 when its service is hidden from the caller.
   */
  async gateCheck(
    build: { serviceId: string; clusterId: string; buildVersion: string },
    policy: GatePolicy,
    visibility: Visibility,
  ): Promise<GateCheckResponse> {
    const missing = new NotFoundError(
      `No attempt of ${build.serviceId} ${build.buildVersion} on ${build.clusterId}`,
    );
    const [attempt] = await Promise.all([
      this.store.findLatestAttemptOfBuild(build),
      this.visible(visibility, build.serviceId).catch(() => {
        throw missing;
      }),
    ]);
    if (!attempt) throw missing;
    const [gates, quarantined] = await Promise.all([
      this.store.getGates([attempt.id]),
      this.quarantine?.failuresOf(attempt.id, attempt.serviceId),
    ]);
    return evaluateGates(
      attempt,
      gates.get(attempt.id) ?? {},
      policy,
      quarantined,
    );
  }

  /**
   * A Group's, System's or Domain's services (already filtered to what the
   * caller may read): where each runs, what needs attention, their DORA
   * figures and scorecard rows over the window.
   */
  async rollup(
    entityRef: string,
    members: { serviceId: string; entityRef: string; title: string }[],
    truncated: boolean,
    query: { from?: string; to?: string; benchmark?: DoraBenchmarkYear },
    policy: ScorecardPolicy,
  ): Promise<EntityRollupResponse> {
    const window = resolveWindow({ ...query, bucket: 'day' });
    const serviceIds = members.map(m => m.serviceId);
    const scope = { serviceIds };
    const [states, figures, inputs] = await Promise.all([
      this.store.listPairStates({ serviceIds, visibility: SEES_ALL }),
      this.analyticsQueries.compute(
        scope,
        window,
        query.benchmark ?? this.doraBenchmark,
      ),
      this.scorecardQueries.inputs(window, scope),
    ]);
    const gates = await this.store.getGates(
      states.map(s => s.latestAttempt.id),
    );
    const byService = new Map<string, PairState[]>();
    for (const s of states) {
      byService.set(s.serviceId, [...(byService.get(s.serviceId) ?? []), s]);
    }
    const links = new Map(members.map(m => [m.serviceId, m]));
    return {
      entityRef,
      window: {
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
      },
      services: members.map(m => ({
        serviceId: m.serviceId,
        serviceName: m.title,
        entityRef: m.entityRef,
        clusters: (byService.get(m.serviceId) ?? []).map(s => ({
          clusterId: s.clusterId,
          currentVersion: s.currentVersion,
          latestAttempt: toLatestAttempt(s.latestAttempt),
          gates: gates.get(s.latestAttempt.id) ?? {},
        })),
      })),
      truncated,
      attention: states.filter(s =>
        FAILURE_STATUSES.includes(s.latestAttempt.status),
      ).length,
      dora: figures.dora,
      scorecard: await this.withExternal(scoreRows(inputs, links, policy)),
    };
  }

  async entitySummary(
    entityRef: string,
    serviceId: string,
  ): Promise<EntitySummaryResponse> {
    const states = await this.store.listPairStates({
      serviceId,
      visibility: SEES_ALL,
    });
    const [clusters, gates] = await Promise.all([
      this.clustersListing(states.map(s => s.clusterId)),
      this.store.getGates(states.map(s => s.latestAttempt.id)),
    ]);
    // In the order clusters are listed (configured order: the promotion path).
    const order = new Map(clusters.map((c, i) => [c.id, i]));
    const ordered = [...states].sort(
      (a, b) => order.get(a.clusterId)! - order.get(b.clusterId)!,
    );
    return {
      entityRef,
      serviceId,
      clusters: ordered.map(s => ({
        cluster: clusters[order.get(s.clusterId)!],
        currentVersion: s.currentVersion,
        latestAttempt: toLatestAttempt(s.latestAttempt),
        gates: gates.get(s.latestAttempt.id) ?? {},
      })),
    };
  }
}

/** Scorecard rows of the services' inputs, best score first. */
function scoreRows(
  inputs: Map<string, ScorecardInputs>,
  links: Map<string, { entityRef: string }>,
  policy: ScorecardPolicy,
): ScoredRow[] {
  return [...inputs]
    .map(([serviceId, metrics]) => {
      const link = links.get(serviceId);
      return {
        serviceId,
        ...(link ? { entityRef: link.entityRef } : {}),
        ...scoreService(metrics, policy),
        metrics,
      };
    })
    .sort(byScore);
}

/** A scorecard row before the other tools' scorecards are added. */
type ScoredRow = Omit<ScorecardEntry, 'external'>;

/** Best score first, then by service id; services without data last. */
function byScore(
  a: { score: number | null; serviceId: string },
  b: { score: number | null; serviceId: string },
) {
  // Code-unit order: ties are common, and localeCompare costs ICU calls.
  return (
    (b.score ?? -1) - (a.score ?? -1) ||
    (a.serviceId < b.serviceId ? -1 : Number(a.serviceId > b.serviceId))
  );
}

function toLatestAttempt(a: Attempt): LatestAttempt {
  return {
    id: a.id,
    status: a.status,
    buildVersion: a.buildVersion,
    startedAt: a.startedAt,
  };
}
