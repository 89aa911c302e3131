import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  AnalyticsQuery,
  AnalyticsResponse,
  AttemptsPage,
  AttemptStatus,
  BuildDetailResponse,
  ClusterSummaryResponse,
  ClustersResponse,
  EntitySummaryResponse,
  GateCheckResponse,
  PromotionsPage,
  ScorecardResponse,
  ServicesResponse,
} from '@internal/plugin-deployment-quality-common';

/** Filters and paging of an attempts list. @public */
export interface AttemptListOptions {
  clusterId?: string;
  status?: AttemptStatus;
  limit?: number;
  cursor?: string;
}

/** Client of the deployment-quality backend. @public */
export interface DeploymentQualityApi {
  getClusters(): Promise<ClustersResponse>;
  getClusterSummary(clusterId: string): Promise<ClusterSummaryResponse>;
  getClusterAttempts(
    clusterId: string,
    options?: Omit<AttemptListOptions, 'clusterId'> & { serviceId?: string },
  ): Promise<AttemptsPage>;
  getServices(): Promise<ServicesResponse>;
  getBuild(attemptId: string): Promise<BuildDetailResponse>;
  getAnalytics(query?: AnalyticsQuery): Promise<AnalyticsResponse>;
  getScorecard(window?: {
    from?: string;
    to?: string;
  }): Promise<ScorecardResponse>;
  getGateCheck(build: {
    serviceId: string;
    clusterId: string;
    buildVersion: string;
  }): Promise<GateCheckResponse>;
  getEntitySummary(entity: CompoundEntityRef): Promise<EntitySummaryResponse>;
  getEntityAttempts(
    entity: CompoundEntityRef,
    options?: AttemptListOptions,
  ): Promise<AttemptsPage>;
  getEntityAnalytics(
    entity: CompoundEntityRef,
    query?: Omit<AnalyticsQuery, 'serviceId'>,
  ): Promise<AnalyticsResponse>;
  getEntityPromotions(
    entity: CompoundEntityRef,
    options?: { limit?: number; cursor?: string },
  ): Promise<PromotionsPage>;
}

/** @public */
export const deploymentQualityApiRef = createApiRef<DeploymentQualityApi>({
  id: 'plugin.deployment-quality.service',
});

const entityPath = (e: CompoundEntityRef) =>
  `/entities/${[e.namespace, e.kind.toLocaleLowerCase('en-US'), e.name]
    .map(encodeURIComponent)
    .join('/')}`;

/** Talks to the backend through Backstage's discovery and fetch APIs. @public */
export class DeploymentQualityClient implements DeploymentQualityApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async get<T>(
    path: string,
    query: Record<string, string | number | undefined> = {},
  ): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('deployment-quality');
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    const response = await this.deps.fetchApi.fetch(
      `${base}${path}${qs ? `?${qs}` : ''}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }

  getClusters() {
    return this.get<ClustersResponse>('/clusters');
  }

  getClusterSummary(clusterId: string) {
    return this.get<ClusterSummaryResponse>(
      `/clusters/${encodeURIComponent(clusterId)}/summary`,
    );
  }

  getClusterAttempts(
    clusterId: string,
    options: Omit<AttemptListOptions, 'clusterId'> & {
      serviceId?: string;
    } = {},
  ) {
    return this.get<AttemptsPage>(
      `/clusters/${encodeURIComponent(clusterId)}/attempts`,
      { ...options },
    );
  }

  getServices() {
    return this.get<ServicesResponse>('/services');
  }

  getAnalytics(query: AnalyticsQuery = {}) {
    return this.get<AnalyticsResponse>('/analytics', { ...query });
  }

  getScorecard(window: { from?: string; to?: string } = {}) {
    return this.get<ScorecardResponse>('/scorecard', window);
  }

  getGateCheck(build: {
    serviceId: string;
    clusterId: string;
    buildVersion: string;
  }) {
    return this.get<GateCheckResponse>('/gates', build);
  }

  getEntityAnalytics(
    entity: CompoundEntityRef,
    query: Omit<AnalyticsQuery, 'serviceId'> = {},
  ) {
    return this.get<AnalyticsResponse>(`${entityPath(entity)}/analytics`, {
      ...query,
    });
  }

  getEntityPromotions(
    entity: CompoundEntityRef,
    options: { limit?: number; cursor?: string } = {},
  ) {
    return this.get<PromotionsPage>(
      `${entityPath(entity)}/promotions`,
      options,
    );
  }

  getBuild(attemptId: string) {
    return this.get<BuildDetailResponse>(
      `/builds/${encodeURIComponent(attemptId)}`,
    );
  }

  getEntitySummary(entity: CompoundEntityRef) {
    return this.get<EntitySummaryResponse>(`${entityPath(entity)}/summary`);
  }

  getEntityAttempts(
    entity: CompoundEntityRef,
    options: AttemptListOptions = {},
  ) {
    return this.get<AttemptsPage>(`${entityPath(entity)}/attempts`, {
      clusterId: options.clusterId,
      status: options.status,
      limit: options.limit,
      cursor: options.cursor,
    });
  }
}
