import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  AttemptStatus,
  AttemptsPage,
  BuildDetailResponse,
  Cluster,
  ClusterSummaryResponse,
  ClustersResponse,
  DEPLOYED_STATUSES,
  EntitySummaryResponse,
  FAILURE_STATUSES,
  ServiceOnCluster,
  ServicesResponse,
} from '@internal/plugin-deployment-quality-common';
import {
  DeploymentQualityStore,
  PairState,
} from '../database/DeploymentQualityStore';
import { CatalogLinks } from './catalogLinks';

/**
 * The read side: composes store queries, configured clusters and catalog
 * links into the answers of the contract. Knows nothing about HTTP.
 */
export class DeploymentQueries {
  constructor(
    private readonly store: DeploymentQualityStore,
    private readonly configuredClusters: Cluster[],
    private readonly links: CatalogLinks,
  ) {}

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

  async listClusters(): Promise<ClustersResponse> {
    const [clusters, states] = await Promise.all([
      this.allClusters(),
      this.store.listPairStates({}),
    ]);
    return {
      clusters: clusters.map(cluster => {
        const mine = states.filter(s => s.clusterId === cluster.id);
        const latest = mine
          .map(s => s.latestAttempt.startedAt)
          .sort()
          .pop();
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
            latestAttemptAt: latest ?? null,
          },
        };
      }),
    };
  }

  private async servicesOnCluster(
    states: PairState[],
    credentials: BackstageCredentials,
  ): Promise<ServiceOnCluster[]> {
    const [gates, links] = await Promise.all([
      this.store.getGates(states.map(s => s.latestAttempt.id)),
      this.links.linkServices(
        [...new Set(states.map(s => s.serviceId))],
        credentials,
      ),
    ]);
    return states.map(s => {
      const link = links.get(s.serviceId);
      const a = s.latestAttempt;
      return {
        serviceId: s.serviceId,
        serviceName: link?.title ?? s.serviceId,
        ...(link ? { entityRef: link.entityRef } : {}),
        currentVersion: s.currentVersion,
        latestAttempt: {
          id: a.id,
          status: a.status,
          buildVersion: a.buildVersion,
          startedAt: a.startedAt,
        },
        gates: gates.get(a.id) ?? {},
      };
    });
  }

  async clusterSummary(
    clusterId: string,
    credentials: BackstageCredentials,
  ): Promise<ClusterSummaryResponse> {
    const cluster = await this.getCluster(clusterId);
    const [counts, states] = await Promise.all([
      this.store.countAttemptsByStatus({ clusterId }),
      this.store.listPairStates({ clusterId }),
    ]);
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
      services: await this.servicesOnCluster(states, credentials),
    };
  }

  async listAttempts(query: {
    clusterId?: string;
    serviceId?: string;
    status?: AttemptStatus;
    limit: number;
    cursor?: string;
  }): Promise<AttemptsPage> {
    if (query.clusterId) await this.getCluster(query.clusterId);
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
    const states = await this.store.listPairStates({ serviceId });
    if (states.length === 0) throw new NotFoundError(`No service ${serviceId}`);
  }

  async listServices(
    credentials: BackstageCredentials,
  ): Promise<ServicesResponse> {
    const states = await this.store.listPairStates({});
    const byService = new Map<string, PairState[]>();
    for (const s of states) {
      byService.set(s.serviceId, [...(byService.get(s.serviceId) ?? []), s]);
    }
    const links = await this.links.linkServices(
      [...byService.keys()],
      credentials,
    );
    return {
      services: [...byService.entries()].map(([serviceId, mine]) => ({
        serviceId,
        ...(links.has(serviceId)
          ? { entityRef: links.get(serviceId)!.entityRef }
          : {}),
        clusters: mine.map(s => s.clusterId),
        latestAttemptAt:
          mine
            .map(s => s.latestAttempt.startedAt)
            .sort()
            .pop() ?? null,
      })),
    };
  }

  async buildDetail(attemptId: string): Promise<BuildDetailResponse> {
    const attempt = await this.store.getAttempt(attemptId);
    if (!attempt) throw new NotFoundError(`No attempt ${attemptId}`);
    const [testRuns, promotions] = await Promise.all([
      this.store.listTestRuns(attemptId),
      this.store.listPromotionsOfBuild(attempt.serviceId, attempt.buildVersion),
    ]);
    return { attempt, testRuns, promotions };
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
        latestAttempt: {
          id: s.latestAttempt.id,
          status: s.latestAttempt.status,
          buildVersion: s.latestAttempt.buildVersion,
          startedAt: s.latestAttempt.startedAt,
        },
        gates: gates.get(s.latestAttempt.id) ?? {},
      })),
    };
  }
}
