import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  ANALYTICS_DEFINITIONS,
  AnalyticsResponse,
  Attempt,
  AttemptStatus,
  AttemptsPage,
  BuildDetailResponse,
  Cluster,
  ClusterSummaryResponse,
  ClustersResponse,
  DEPLOYED_STATUSES,
  EntitySummaryResponse,
  FAILURE_STATUSES,
  GateCheckResponse,
  LatestAttempt,
  ScorecardPolicy,
  ScorecardResponse,
  ServicesResponse,
} from '@internal/plugin-deployment-quality-common';
import {
  AttemptQuery,
  DeploymentQualityStore,
  PairState,
} from '../database/DeploymentQualityStore';
import { CatalogLinks, ServiceVisibility } from './catalogLinks';
import { GatePolicy } from '../config';
import { evaluateGates } from '../gates/evaluateGates';
import { KnexAnalytics } from '../analytics/KnexAnalytics';
import { KnexScorecard } from '../analytics/KnexScorecard';
import { scoreService } from '../analytics/scoring';
import { resolveWindow } from '../analytics/window';

/**
 * The read side: composes store queries, configured clusters and catalog
 * links into the answers of the contract. Knows nothing about HTTP.
 */
export class DeploymentQueries {
  constructor(
    private readonly store: DeploymentQualityStore,
    private readonly analyticsQueries: KnexAnalytics,
    private readonly scorecardQueries: KnexScorecard,
    private readonly configuredClusters: Cluster[],
    private readonly links: CatalogLinks,
  ) {}

  /**
   * Analytics for a service, a cluster, both or everything. An unknown
   * cluster is a 404; so is an unknown or hidden service unless it comes
   * from an entity the caller may read (which then may have no data yet).
   * Analytics across services are aggregates over every service.
   */
  async analytics(
    query: {
      serviceId?: string;
      clusterId?: string;
      from?: string;
      to?: string;
      bucket: 'day' | 'week';
    },
    options:
      | { fromEntity: true }
      | { fromEntity?: false; credentials: BackstageCredentials },
  ): Promise<AnalyticsResponse> {
    const window = resolveWindow(query);
    if (query.clusterId) await this.getCluster(query.clusterId);
    if (query.serviceId && !options.fromEntity) {
      await this.assertServiceKnown(query.serviceId);
      await this.links.assertVisible(query.serviceId, options.credentials);
    }
    const scope = { serviceId: query.serviceId, clusterId: query.clusterId };
    return {
      filter: {
        ...(scope.serviceId ? { serviceId: scope.serviceId } : {}),
        ...(scope.clusterId ? { clusterId: scope.clusterId } : {}),
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
        bucket: window.bucket,
      },
      ...(await this.analyticsQueries.compute(scope, window)),
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
      if (!byId.has(id)) {
        byId.set(id, {
          id,
          name: id,
          type: '',
          role: '',
          description: '',
          configured: false,
        });
      }
    }
    return [...byId.values()];
  }

  private async getCluster(clusterId: string): Promise<Cluster> {
    const cluster = (await this.allClusters()).find(c => c.id === clusterId);
    if (!cluster) throw new NotFoundError(`No cluster ${clusterId}`);
    return cluster;
  }

  /**
   * Pair states matching the filter, without the services the caller can't
   * see, and the caller's links to the rest.
   */
  private async visibleStates(
    filter: { clusterId?: string; serviceId?: string },
    credentials: BackstageCredentials,
  ): Promise<{ states: PairState[]; visibility: ServiceVisibility }> {
    const all = await this.store.listPairStates(filter);
    const visibility = await this.links.visibility(
      [...new Set(all.map(s => s.serviceId))],
      credentials,
    );
    return {
      states: all.filter(s => !visibility.hidden.has(s.serviceId)),
      visibility,
    };
  }

  async listClusters(
    credentials: BackstageCredentials,
  ): Promise<ClustersResponse> {
    const [clusters, { states }] = await Promise.all([
      this.allClusters(),
      this.visibleStates({}, credentials),
    ]);
    return {
      clusters: clusters.map(cluster => {
        const mine = states.filter(s => s.clusterId === cluster.id);
        return {
          ...cluster,
          summary: {
            services: mine.length,
            healthy: mine.filter(s =>
              DEPLOYED_STATUSES.includes(s.latestAttempt.status),
            ).length,
            attention: mine.filter(s =>
              FAILURE_STATUSES.includes(s.latestAttempt.status),
            ).length,
            latestAttemptAt: latestStart(mine),
          },
        };
      }),
    };
  }

  async clusterSummary(
    clusterId: string,
    credentials: BackstageCredentials,
  ): Promise<ClusterSummaryResponse> {
    const [cluster, counts, { states, visibility }] = await Promise.all([
      this.getCluster(clusterId),
      this.store.countAttemptsByStatus({ clusterId }),
      this.visibleStates({ clusterId }, credentials),
    ]);
    const gates = await this.store.getGates(
      states.map(s => s.latestAttempt.id),
    );
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      cluster,
      summary: {
        totalAttempts: total,
        success: counts.SUCCESS + counts.LIVE,
        failed: counts.FAILED,
        rollback: counts.ROLLBACK,
        inProgress: counts.IN_PROGRESS,
      },
      services: states.map(s => {
        const link = visibility.links.get(s.serviceId);
        return {
          serviceId: s.serviceId,
          serviceName: link?.title ?? s.serviceId,
          ...(link ? { entityRef: link.entityRef } : {}),
          currentVersion: s.currentVersion,
          latestAttempt: toLatestAttempt(s.latestAttempt),
          gates: gates.get(s.latestAttempt.id) ?? {},
        };
      }),
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
    credentials: BackstageCredentials,
  ): Promise<AttemptsPage> {
    let excludeServiceIds: string[] = [];
    if (query.clusterId) {
      const [, serviceIds] = await Promise.all([
        this.getCluster(query.clusterId),
        this.store.listServiceIds({ clusterId: query.clusterId }),
      ]);
      const { hidden } = await this.links.visibility(serviceIds, credentials);
      excludeServiceIds = [...hidden];
    }
    if (query.serviceId) {
      await this.links.assertVisible(query.serviceId, credentials);
    }
    return this.attemptsPage({ ...query, excludeServiceIds });
  }

  /** A page of one entity's service: the entity route already checked access. */
  async listEntityAttempts(query: {
    serviceId: string;
    clusterId?: string;
    status?: AttemptStatus;
    limit: number;
    cursor?: string;
  }): Promise<AttemptsPage> {
    return this.attemptsPage(query);
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
    const known = await this.store.listServiceIds({ serviceId });
    if (known.length === 0) throw new NotFoundError(`No service ${serviceId}`);
  }

  async listServices(
    credentials: BackstageCredentials,
  ): Promise<ServicesResponse> {
    const { states, visibility } = await this.visibleStates({}, credentials);
    const byService = new Map<string, PairState[]>();
    for (const s of states) {
      byService.set(s.serviceId, [...(byService.get(s.serviceId) ?? []), s]);
    }
    return {
      services: [...byService.entries()].map(([serviceId, mine]) => {
        const link = visibility.links.get(serviceId);
        return {
          serviceId,
          ...(link ? { entityRef: link.entityRef } : {}),
          clusters: mine.map(s => s.clusterId),
          latestAttemptAt: latestStart(mine),
        };
      }),
    };
  }

  async buildDetail(
    attemptId: string,
    credentials: BackstageCredentials,
  ): Promise<BuildDetailResponse> {
    const attempt = await this.store.getAttempt(attemptId);
    if (!attempt) throw new NotFoundError(`No attempt ${attemptId}`);
    await this.links.assertVisible(attempt.serviceId, credentials);
    const [testRuns, promotions] = await Promise.all([
      this.store.listTestRuns(attemptId),
      this.store.listPromotionsOfBuild(attempt.serviceId, attempt.buildVersion),
    ]);
    return { attempt, testRuns, promotions };
  }

  /** Every visible service's quality score over the window, best first. */
  async scorecard(
    query: { from?: string; to?: string },
    policy: ScorecardPolicy,
    credentials: BackstageCredentials,
  ): Promise<ScorecardResponse> {
    const window = resolveWindow({ ...query, bucket: 'day' });
    const inputs = await this.scorecardQueries.inputs(window);
    const { links, hidden } = await this.links.visibility(
      [...inputs.keys()],
      credentials,
    );
    const services = [...inputs]
      .filter(([serviceId]) => !hidden.has(serviceId))
      .map(([serviceId, metrics]) => {
        const link = links.get(serviceId);
        return {
          serviceId,
          ...(link ? { entityRef: link.entityRef } : {}),
          ...scoreService(metrics, policy),
          metrics,
        };
      })
      .sort(
        (a, b) =>
          (b.score ?? -1) - (a.score ?? -1) ||
          a.serviceId.localeCompare(b.serviceId),
      );
    return {
      window: {
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
      },
      policy,
      services,
    };
  }

  /** The quality-gate check: 404 when the build never ran on the cluster. */
  async gateCheck(
    build: { serviceId: string; clusterId: string; buildVersion: string },
    policy: GatePolicy,
    credentials: BackstageCredentials,
  ): Promise<GateCheckResponse> {
    await this.links.assertVisible(build.serviceId, credentials);
    const attempt = await this.store.findLatestAttemptOfBuild(build);
    if (!attempt) {
      throw new NotFoundError(
        `No attempt of ${build.serviceId} ${build.buildVersion} on ${build.clusterId}`,
      );
    }
    const gates = await this.store.getGates([attempt.id]);
    return evaluateGates(attempt, gates.get(attempt.id) ?? {}, policy);
  }

  async entitySummary(
    entityRef: string,
    serviceId: string,
  ): Promise<EntitySummaryResponse> {
    const [clusters, states] = await Promise.all([
      this.allClusters(),
      this.store.listPairStates({ serviceId }),
    ]);
    const gates = await this.store.getGates(
      states.map(s => s.latestAttempt.id),
    );
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

function toLatestAttempt(a: Attempt): LatestAttempt {
  return {
    id: a.id,
    status: a.status,
    buildVersion: a.buildVersion,
    startedAt: a.startedAt,
  };
}

function latestStart(states: PairState[]): string | null {
  return (
    states
      .map(s => s.latestAttempt.startedAt)
      .sort()
      .pop() ?? null
  );
}
