// openapi-fetch names its methods after the HTTP verbs (`client.GET`).
/* eslint-disable new-cap */
import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import createClient from 'openapi-fetch';
import {
  AnalyticsQuery,
  ClusterValidationsResponse,
  CostQuery,
  CostResponse,
  FailureSignaturesQuery,
  FailureSignaturesResponse,
  FlakyTestsQuery,
  FlakyTestsResponse,
  SignatureOccurrencesResponse,
  QuarantinedTest,
  QuarantineResponse,
  TestHistoryQuery,
  TestHistoryResponse,
  ExternalScorecardsResponse,
  RollupQuery,
  ClusterSummaryQuery,
  ServicesQuery,
  AnalyticsResponse,
  AttemptsPage,
  AttemptStatus,
  BuildDetailResponse,
  ClusterSummaryResponse,
  ClustersResponse,
  EntityRollupResponse,
  EntitySummaryResponse,
  GateCheckResponse,
  PromotionsPage,
  ScorecardResponse,
  ServicesResponse,
  StatusResponse,
} from '@deployment-quality/plugin-deployment-quality-common';
import { paths } from './openapi.generated';

/** Filters and paging of an attempts list. @public */
export interface AttemptListOptions {
  clusterId?: string;
  status?: AttemptStatus;
  limit?: number;
  cursor?: string;
}

/**
 * How a fleet-wide read may answer. `fresh`: as of the latest write, not
 * an answer the backend kept a while (up to its `analytics.maxStaleSeconds`)
 * — what a reload asked for by a live signal wants.
 * @public
 */
export interface ReadOptions {
  fresh?: boolean;
}

const freshness = (read?: ReadOptions) =>
  read?.fresh ? { 'Cache-Control': 'no-cache' } : {};

/** Client of the deployment-quality backend. @public */
export interface DeploymentQualityApi {
  getClusters(read?: ReadOptions): Promise<ClustersResponse>;
  /** The cluster's totals and one page of its services. */
  getClusterSummary(
    clusterId: string,
    page?: ClusterSummaryQuery,
    read?: ReadOptions,
  ): Promise<ClusterSummaryResponse>;
  /** A cluster-region's own validation suites: latest run and recent strip. */
  getClusterValidations(clusterId: string): Promise<ClusterValidationsResponse>;
  /** What a cluster-region's (visible) services cost in a window. */
  getClusterCost(clusterId: string, query?: CostQuery): Promise<CostResponse>;
  /** Every cluster's attempts, newest first (e.g. the fleet's failures). */
  getAttempts(
    options?: Omit<AttemptListOptions, 'clusterId'>,
    read?: ReadOptions,
  ): Promise<AttemptsPage>;
  getClusterAttempts(
    clusterId: string,
    options?: Omit<AttemptListOptions, 'clusterId'> & { serviceId?: string },
    read?: ReadOptions,
  ): Promise<AttemptsPage>;
  /** One page of the services, optionally searched or on one cluster. */
  getServices(
    query?: ServicesQuery,
    read?: ReadOptions,
  ): Promise<ServicesResponse>;
  getBuild(attemptId: string): Promise<BuildDetailResponse>;
  getAnalytics(query?: AnalyticsQuery): Promise<AnalyticsResponse>;
  getScorecard(window?: {
    from?: string;
    to?: string;
  }): Promise<ScorecardResponse>;
  /** The scorecard as CSV, with the file name the backend gives it. */
  getScorecardCsv(window?: {
    from?: string;
    to?: string;
  }): Promise<{ filename: string; csv: Blob }>;
  getGateCheck(build: {
    serviceId: string;
    clusterId: string;
    buildVersion: string;
  }): Promise<GateCheckResponse>;
  getEntitySummary(entity: CompoundEntityRef): Promise<EntitySummaryResponse>;
  /** A Group's, System's or Domain's services rolled up. */
  getEntityRollup(
    entity: CompoundEntityRef,
    query?: RollupQuery,
  ): Promise<EntityRollupResponse>;
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
  /** Scorecards other tools sent for the entity's service, newest per name. */
  getEntityExternalScorecards(
    entity: CompoundEntityRef,
  ): Promise<ExternalScorecardsResponse>;
  /** What the entity's service cost in a window, and around its deployments. */
  getEntityCost(
    entity: CompoundEntityRef,
    query?: CostQuery,
  ): Promise<CostResponse>;
  /** The entity's service's flaky tests in a window, flakiest first. */
  getEntityFlakyTests(
    entity: CompoundEntityRef,
    query?: FlakyTestsQuery,
  ): Promise<FlakyTestsResponse>;
  /** One test's runs on the entity's service, and its failure signatures. */
  getEntityTestHistory(
    entity: CompoundEntityRef,
    caseId: string,
    query?: TestHistoryQuery,
  ): Promise<TestHistoryResponse>;
  /** The entity's service's quarantined tests, and whether the caller may change them. */
  getEntityQuarantine(entity: CompoundEntityRef): Promise<QuarantineResponse>;
  /** Quarantines a test of the entity's service (permission `deployment-quality.quarantine`). */
  quarantineTest(
    entity: CompoundEntityRef,
    caseId: string,
    reason: string,
  ): Promise<QuarantinedTest>;
  /** Lifts a quarantine put in place from the UI. */
  liftQuarantine(entity: CompoundEntityRef, caseId: string): Promise<void>;
  /** The fleet's top failure signatures in a window, on the services the caller may see. */
  getFailureSignatures(
    query?: FailureSignaturesQuery,
  ): Promise<FailureSignaturesResponse>;
  /** The latest failures with one signature. */
  getFailureSignature(
    signatureId: string,
    query?: FlakyTestsQuery,
  ): Promise<SignatureOccurrencesResponse>;
  /** Whether the backend can take and store events right now, and why not. */
  getStatus(): Promise<StatusResponse>;
}

/** @public */
export const deploymentQualityApiRef = createApiRef<DeploymentQualityApi>({
  id: 'plugin.deployment-quality.service',
});

type EntityPath = { namespace: string; kind: string; name: string };

const entityPath = (e: CompoundEntityRef): EntityPath => ({
  namespace: e.namespace,
  kind: e.kind.toLocaleLowerCase('en-US'),
  name: e.name,
});

/**
 * Talks to the backend through Backstage's discovery and fetch APIs, with
 * paths, parameters and answers typed from the backend's OpenAPI spec (a
 * change there that breaks a call here fails `yarn tsc`).
 * @public
 */
export class DeploymentQualityClient implements DeploymentQualityApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async client() {
    return createClient<paths>({
      baseUrl: await this.deps.discoveryApi.getBaseUrl('deployment-quality'),
      // Errors keep Backstage's shape: the body is read here, before
      // openapi-fetch would consume it.
      fetch: async request => {
        // As url and init, the body read once: Backstage's fetch middleware
        // builds a new Request from its input at each step, and one built
        // from a Request whose body another step consumed throws.
        const body = ['GET', 'HEAD'].includes(request.method)
          ? undefined
          : await request.text();
        const response = await this.deps.fetchApi.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body,
          signal: request.signal,
        });
        if (!response.ok) throw await ResponseError.fromResponse(response);
        return response;
      },
    });
  }

  async getClusters(read?: ReadOptions) {
    const { data } = await (
      await this.client()
    ).GET('/clusters', { params: { header: freshness(read) } });
    return data!;
  }

  async getClusterSummary(
    clusterId: string,
    page: ClusterSummaryQuery = {},
    read?: ReadOptions,
  ) {
    const { data } = await (
      await this.client()
    ).GET('/clusters/{clusterId}/summary', {
      params: { path: { clusterId }, query: page, header: freshness(read) },
    });
    return data!;
  }

  async getClusterValidations(clusterId: string) {
    const { data } = await (
      await this.client()
    ).GET('/clusters/{clusterId}/validations', {
      params: { path: { clusterId } },
    });
    return data!;
  }

  async getAttempts(
    options: Omit<AttemptListOptions, 'clusterId'> = {},
    read?: ReadOptions,
  ) {
    const { data } = await (
      await this.client()
    ).GET('/attempts', {
      params: { query: options, header: freshness(read) },
    });
    return data!;
  }

  async getClusterAttempts(
    clusterId: string,
    options: Omit<AttemptListOptions, 'clusterId'> & {
      serviceId?: string;
    } = {},
    read?: ReadOptions,
  ) {
    const { data } = await (
      await this.client()
    ).GET('/clusters/{clusterId}/attempts', {
      params: { path: { clusterId }, query: options, header: freshness(read) },
    });
    return data!;
  }

  async getStatus() {
    const { data } = await (await this.client()).GET('/status');
    return data!;
  }

  async getServices(query: ServicesQuery = {}, read?: ReadOptions) {
    const { data } = await (
      await this.client()
    ).GET('/services', { params: { query, header: freshness(read) } });
    return data!;
  }

  async getAnalytics(query: AnalyticsQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/analytics', { params: { query } });
    return data!;
  }

  async getScorecard(window: { from?: string; to?: string } = {}) {
    const { data } = await (
      await this.client()
    ).GET('/scorecard', { params: { query: window } });
    return data!;
  }

  async getScorecardCsv(window: { from?: string; to?: string } = {}) {
    const { data, response } = await (
      await this.client()
    ).GET('/scorecard/csv', { params: { query: window }, parseAs: 'blob' });
    // `attachment; filename="scorecard-2026-02-28.csv"`
    const named = /filename="?([^";]+)"?/.exec(
      response.headers.get('Content-Disposition') ?? '',
    );
    return { filename: named?.[1] ?? 'scorecard.csv', csv: data! };
  }

  async getGateCheck(build: {
    serviceId: string;
    clusterId: string;
    buildVersion: string;
  }) {
    const { data } = await (
      await this.client()
    ).GET('/gates', { params: { query: build } });
    return data!;
  }

  async getEntityAnalytics(
    entity: CompoundEntityRef,
    query: Omit<AnalyticsQuery, 'serviceId'> = {},
  ) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/analytics', {
      params: { path: entityPath(entity), query },
    });
    return data!;
  }

  async getClusterCost(clusterId: string, query: CostQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/clusters/{clusterId}/cost', {
      params: { path: { clusterId }, query },
    });
    return data!;
  }

  async getEntityCost(entity: CompoundEntityRef, query: CostQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/cost', {
      params: { path: entityPath(entity), query },
    });
    return data!;
  }

  async getEntityFlakyTests(
    entity: CompoundEntityRef,
    query: FlakyTestsQuery = {},
  ) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/tests/flaky', {
      params: { path: entityPath(entity), query },
    });
    return data!;
  }

  async getEntityTestHistory(
    entity: CompoundEntityRef,
    caseId: string,
    query: TestHistoryQuery = {},
  ) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/tests/cases/{caseId}', {
      params: {
        path: { ...entityPath(entity), caseId: Number(caseId) },
        query,
      },
    });
    return data!;
  }

  async getFailureSignatures(query: FailureSignaturesQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/tests/signatures', { params: { query } });
    return data!;
  }

  async getFailureSignature(signatureId: string, query: FlakyTestsQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/tests/signatures/{signatureId}', {
      params: { path: { signatureId: Number(signatureId) }, query },
    });
    return data!;
  }

  async getEntityQuarantine(entity: CompoundEntityRef) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/tests/quarantine', {
      params: { path: entityPath(entity) },
    });
    return data!;
  }

  async quarantineTest(
    entity: CompoundEntityRef,
    caseId: string,
    reason: string,
  ) {
    const { data } = await (
      await this.client()
    ).PUT('/entities/{namespace}/{kind}/{name}/tests/quarantine/{caseId}', {
      params: { path: { ...entityPath(entity), caseId: Number(caseId) } },
      body: { reason },
    });
    return data!;
  }

  async liftQuarantine(entity: CompoundEntityRef, caseId: string) {
    await (
      await this.client()
    ).DELETE('/entities/{namespace}/{kind}/{name}/tests/quarantine/{caseId}', {
      params: { path: { ...entityPath(entity), caseId: Number(caseId) } },
    });
  }

  async getEntityExternalScorecards(entity: CompoundEntityRef) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/external-scorecards', {
      params: { path: entityPath(entity) },
    });
    return data!;
  }

  async getEntityPromotions(
    entity: CompoundEntityRef,
    options: { limit?: number; cursor?: string } = {},
  ) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/promotions', {
      params: { path: entityPath(entity), query: options },
    });
    return data!;
  }

  async getBuild(attemptId: string) {
    const { data } = await (
      await this.client()
    ).GET('/builds/{attemptId}', { params: { path: { attemptId } } });
    return data!;
  }

  async getEntitySummary(entity: CompoundEntityRef) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/summary', {
      params: { path: entityPath(entity) },
    });
    return data!;
  }

  async getEntityRollup(entity: CompoundEntityRef, query: RollupQuery = {}) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/rollup', {
      params: { path: entityPath(entity), query },
    });
    return data!;
  }

  async getEntityAttempts(
    entity: CompoundEntityRef,
    options: AttemptListOptions = {},
  ) {
    const { data } = await (
      await this.client()
    ).GET('/entities/{namespace}/{kind}/{name}/attempts', {
      params: { path: entityPath(entity), query: options },
    });
    return data!;
  }
}
