import { Entity } from '@backstage/catalog-model';
import {
  ANALYTICS_DEFINITIONS,
  doraRating,
  AnalyticsResponse,
  AttemptStatus,
  AttemptWithGates,
  BuildDetailResponse,
  ClusterSummaryResponse,
  ClustersResponse,
  ClusterValidationsResponse,
  ExternalScorecardsResponse,
  COST_DEFINITIONS,
  CostResponse,
  FLAKY_DEFINITIONS,
  FailureSignaturesResponse,
  FlakyTestsResponse,
  QuarantineResponse,
  SignatureOccurrencesResponse,
  TestHistoryResponse,
  DEFAULT_SCORECARD_POLICY,
  EntityRollupResponse,
  EntitySummaryResponse,
  PromotionsPage,
  ScorecardEntry,
  ScorecardResponse,
  StatusResponse,
} from '@deployment-quality/plugin-deployment-quality-common';
import { DeploymentQualityApi } from '../api/DeploymentQualityApi';

/** Test data shaped like the backend's answers, shared by the views' tests. */

export const serviceEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'authentication',
    namespace: 'default',
    annotations: { 'deployment-quality/service-id': 'authn' },
  },
  spec: { type: 'service' },
};

export const mira = {
  id: 'mira-us-west-2',
  name: 'Mira US-West-2',
  type: 'Development',
  role: 'Primary',
  description: 'Primary development cluster',
  region: 'us-west-2',
  configured: true,
};

export const vega = {
  ...mira,
  id: 'vega-eu-west-1',
  name: 'Vega EU-West-1',
  type: 'Production',
  region: 'eu-west-1',
};

const HOUR = 3_600_000;
export const hoursAgo = (h: number) =>
  new Date(Date.now() - h * HOUR).toISOString();

export function attempt(
  n: number,
  options: {
    status?: AttemptStatus;
    clusterId?: string;
    serviceId?: string;
    startedAt?: string;
  } = {},
): AttemptWithGates {
  const {
    status = 'SUCCESS',
    clusterId = mira.id,
    serviceId = 'authn',
  } = options;
  const startedAt = options.startedAt ?? `2026-02-${10 + n}T09:00:00.000Z`;
  return {
    id: `${clusterId}:${serviceId}:3.4.${n}:${n}`,
    clusterId,
    serviceId,
    buildVersion: `3.4.${n}`,
    gitSha: 'abcdef1234',
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + 270_000).toISOString(),
    status,
    trigger: 'merge',
    source: 'github-actions',
    gates: {},
    ...(status === 'FAILED' ? { failureReason: 'smoke tests failed' } : {}),
    ...(status === 'ROLLBACK' ? { rollbackToBuild: '3.4.0' } : {}),
  };
}

export const entitySummary: EntitySummaryResponse = {
  entityRef: 'component:default/authentication',
  serviceId: 'authn',
  clusters: [
    {
      cluster: mira,
      currentVersion: '3.4.2',
      latestAttempt: {
        id: 'mira-us-west-2:authn:3.4.3:3',
        status: 'FAILED',
        buildVersion: '3.4.3',
        startedAt: '2026-02-24T09:00:00.000Z',
      },
      gates: { functional: { passed: 18, total: 20, failed: 2, skipped: 0 } },
    },
    {
      cluster: vega,
      currentVersion: '3.4.1',
      latestAttempt: {
        id: 'vega-eu-west-1:authn:3.4.1:1',
        status: 'LIVE',
        buildVersion: '3.4.1',
        startedAt: '2026-02-20T09:00:00.000Z',
      },
      gates: {},
    },
  ],
};

export const clusters: ClustersResponse = {
  clusters: [
    {
      ...mira,
      summary: {
        services: 4,
        healthy: 3,
        attention: 1,
        latestAttemptAt: hoursAgo(2),
      },
      validations: { suites: 2, failing: 1 },
    },
    {
      ...vega,
      summary: {
        services: 2,
        healthy: 2,
        attention: 0,
        latestAttemptAt: hoursAgo(72),
      },
      validations: { suites: 0, failing: 0 },
    },
  ],
};

export const clusterSummary: ClusterSummaryResponse = {
  cluster: mira,
  summary: {
    totalAttempts: 42,
    success: 35,
    failed: 4,
    rollback: 2,
    inProgress: 1,
  },
  services: [
    {
      serviceId: 'authn',
      serviceName: 'authn',
      entityRef: 'component:default/authentication',
      currentVersion: '3.4.2',
      latestAttempt: {
        id: 'mira-us-west-2:authn:3.4.3:3',
        status: 'FAILED',
        buildVersion: '3.4.3',
        startedAt: hoursAgo(2),
      },
      gates: { sanity: { passed: 5, total: 5, failed: 0, skipped: 0 } },
    },
    {
      serviceId: 'orphan',
      serviceName: 'orphan',
      currentVersion: null,
      latestAttempt: {
        id: 'mira-us-west-2:orphan:0.1.0:1',
        status: 'IN_PROGRESS',
        buildVersion: '0.1.0',
        startedAt: hoursAgo(1),
      },
      gates: {},
    },
  ],
  servicesPage: { offset: 0, limit: 25, total: 2 },
};

export const buildDetail: BuildDetailResponse = {
  attempt: attempt(3, { status: 'FAILED' }),
  testRuns: [
    {
      attemptId: 'mira-us-west-2:authn:3.4.3:3',
      suiteType: 'FUNCTIONAL',
      total: 20,
      passed: 18,
      failed: 2,
      skipped: 0,
      durationSec: 125,
      executedAt: '2026-02-13T09:03:00.000Z',
      reportUrl: 'https://ci.example.com/reports/functional/1284',
    },
    {
      attemptId: 'mira-us-west-2:authn:3.4.3:3',
      suiteType: 'SANITY',
      total: 5,
      passed: 5,
      failed: 0,
      skipped: 0,
      durationSec: 42,
      executedAt: '2026-02-13T09:02:00.000Z',
    },
  ],
  promotions: [
    {
      promotionId: 'p1',
      serviceId: 'authn',
      buildVersion: '3.4.3',
      fromClusterId: 'mira-us-west-2',
      toClusterId: 'vega-eu-west-1',
      promotedBy: 'alice',
      promotedAt: '2026-02-13T10:00:00.000Z',
    },
  ],
  entityRef: 'component:default/authentication',
  failedTests: [
    {
      caseId: '17',
      suite: 'api',
      className: 'com.example.CartTest',
      name: 'totals the prices',
      suiteType: 'FUNCTIONAL',
      status: 'failed',
      retries: 0,
      message: 'timeout after 5012 ms',
      signature: 'timeout after <n> ms',
      executedAt: hoursAgo(3),
    },
    {
      caseId: '18',
      suite: 'api',
      className: 'com.example.CartTest',
      name: 'adds an item',
      suiteType: 'FUNCTIONAL',
      status: 'passed',
      retries: 2,
      message: 'connection reset',
      signature: 'connection reset',
      executedAt: hoursAgo(3),
    },
  ],
};

export const promotions: PromotionsPage = {
  promotions: [
    {
      promotionId: 'p2',
      serviceId: 'authn',
      buildVersion: '3.4.1',
      fromClusterId: 'mira-us-west-2',
      toClusterId: 'vega-eu-west-1',
      promotedBy: 'bob',
      promotedAt: '2026-02-20T08:00:00.000Z',
    },
  ],
};

const labels = ['2026-02-22', '2026-02-23', '2026-02-24'];

export const analytics: AnalyticsResponse = {
  filter: { from: '2026-02-22', to: '2026-02-24', bucket: 'day' },
  buildAttempts: {
    labels,
    success: [3, 1, 2],
    failed: [0, 1, 0],
    rollback: [0, 0, 1],
  },
  clusterValidationPassRates: {
    labels,
    suites: { conformance: [99.5, 98.8, null], smoke: [100, 100, 97.2] },
  },
  testPassRates: {
    labels,
    functional: [100, 90, null],
    sanity: [100, 100, 100],
    regression: [null, null, null],
  },
  deployFrequency: {
    labels,
    deploys: [3, 1, 2],
    avgLeadTimeMin: [12.5, 30, 20],
  },
  dora: {
    deploymentFrequencyPerDay: 2,
    leadTimeMin: { p50: 15, p90: 42 },
    changeFailureRate: 0.25,
    deploymentReworkRate: 0.125,
    failedDeploymentRecoveryTimeMin: { p50: 90 },
    timeToRestoreMin: { p50: 90 },
    ...doraRating({
      deploymentFrequencyPerDay: 2,
      leadTimeP50Min: 15,
      changeFailureRate: 0.25,
      recoveryP50Min: 90,
    }),
    samples: {
      deploymentFrequency: { deploys: 6, days: 3 },
      leadTime: { n: 6 },
      changeFailureRate: { failures: 2, finished: 8 },
      failedDeploymentRecoveryTime: { n: 1, unrecovered: 1 },
      deploymentReworkRate: {
        rework: 1,
        finished: 8,
        reworkWindowMinutes: 1440,
      },
    },
  },
  definitions: ANALYTICS_DEFINITIONS,
};

export const emptyAnalytics: AnalyticsResponse = {
  ...analytics,
  buildAttempts: {
    labels,
    success: [0, 0, 0],
    failed: [0, 0, 0],
    rollback: [0, 0, 0],
  },
  clusterValidationPassRates: { labels, suites: {} },
  testPassRates: {
    labels,
    functional: [null, null, null],
    sanity: [null, null, null],
    regression: [null, null, null],
  },
  deployFrequency: {
    labels,
    deploys: [0, 0, 0],
    avgLeadTimeMin: [null, null, null],
  },
};

const scoreEntry = (
  serviceId: string,
  score: number | null,
  grade: string | null,
  deploySuccessRate: number | null,
): ScorecardEntry => ({
  serviceId,
  ...(serviceId === 'authn'
    ? { entityRef: 'component:default/authentication' }
    : {}),
  score,
  grade,
  metrics: {
    deploySuccessRate,
    gatePassRate: 97.5,
    changeFailureRate: 0.1,
    leadTimeP50Min: 30,
    failedDeploymentRecoveryTimeP50Min: null,
    timeToRestoreP50Min: null,
    deploys: 10,
    finished: 12,
    testRuns: 30,
    recoveries: 0,
  },
  subScores: {
    deploySuccessRate: 80,
    gatePassRate: 70,
    changeFailureRate: 80,
    leadTime: 100,
    timeToRestore: null,
  },
  external:
    serviceId === 'authn'
      ? [
          {
            name: 'soundcheck: production readiness',
            score: 8,
            maxScore: 10,
            percent: 80,
            measuredAt: hoursAgo(20),
          },
        ]
      : [],
});

export const scorecard: ScorecardResponse = {
  window: { from: '2026-01-26T00:00:00.000Z', to: '2026-02-25T00:00:00.000Z' },
  policy: DEFAULT_SCORECARD_POLICY,
  services: [
    scoreEntry('authn', 93.5, 'A', 0.99),
    scoreEntry('payments', 71.2, 'C', 0.8),
    scoreEntry('ledger', null, null, null),
  ],
};

/** A team's roll-up: authn failing on mira, payments live on vega. */
export const rollup: EntityRollupResponse = {
  entityRef: 'group:default/team-a',
  window: { from: '2026-01-26T00:00:00.000Z', to: '2026-02-25T00:00:00.000Z' },
  services: [
    {
      serviceId: 'payments',
      serviceName: 'Payments',
      entityRef: 'component:default/payments',
      clusters: [
        {
          clusterId: vega.id,
          currentVersion: '2.0.0',
          latestAttempt: {
            id: 'vega-eu-west-1:payments:2.0.0:1',
            status: 'LIVE',
            buildVersion: '2.0.0',
            startedAt: '2026-02-20T09:00:00.000Z',
          },
          gates: {},
        },
      ],
    },
    {
      serviceId: 'authn',
      serviceName: 'Authentication',
      entityRef: 'component:default/authentication',
      clusters: entitySummary.clusters.map(({ cluster, ...c }) => ({
        ...c,
        clusterId: cluster.id,
      })),
    },
  ],
  truncated: false,
  attention: 1,
  dora: analytics.dora,
  scorecard: scorecard.services.slice(0, 2),
};

/** `GET /status` of a healthy backend in queue mode. */
export const status: StatusResponse = {
  checkedAt: hoursAgo(0),
  ok: true,
  problems: [],
  database: { ok: true, latencyMs: 3 },
  ingestion: {
    mode: 'queue',
    consumer: {
      state: 'running',
      lastReceiveAt: hoursAgo(0),
      receiveErrors: 0,
      failedWrites: 0,
    },
    lastIngestLagSeconds: 2,
    queue: { depth: 4, inFlight: 1, dlqDepth: 0, checkedAt: hoursAgo(0) },
  },
  retention: {
    days: 365,
    lastRun: {
      startedAt: hoursAgo(3),
      finishedAt: hoursAgo(3),
      cutoff: hoursAgo(365 * 24),
      deleted: { attempts: 5, test_runs: 7 },
    },
  },
  rollups: { queuedKeys: 0 },
};

/** A fake client answering with the fixtures; tests override single calls. */
const run = (suite: string, daysAgo: number, failed: number) => ({
  suite,
  total: 120,
  passed: 120 - failed,
  failed,
  skipped: 0,
  durationSec: 840,
  executedAt: hoursAgo(24 * daysAgo),
  labels: {},
  passRate: Math.round(((120 - failed) / 120) * 10_000) / 100,
  ok: failed === 0,
});

/** mira's validations: conformance failing last night, smoke passing. */
export const clusterValidations: ClusterValidationsResponse = {
  clusterId: 'mira-us-west-2',
  suites: [
    {
      suite: 'conformance',
      latest: {
        ...run('conformance', 0, 3),
        reportUrl: 'https://ci.example.com/nightly/42',
        labels: { k8s: '1.31' },
      },
      recent: [
        run('conformance', 2, 0),
        run('conformance', 1, 0),
        run('conformance', 0, 3),
      ].map(r => ({
        executedAt: r.executedAt,
        passRate: r.passRate,
        ok: r.ok,
      })),
    },
    {
      suite: 'smoke',
      latest: run('smoke', 0, 0),
      recent: [run('smoke', 0, 0)].map(r => ({
        executedAt: r.executedAt,
        passRate: r.passRate,
        ok: r.ok,
      })),
    },
  ],
};

/** authn's Soundcheck card: 8 of 10 now, one check failing. */
export const externalScorecards: ExternalScorecardsResponse = {
  scorecards: [
    {
      name: 'soundcheck: production readiness',
      latest: {
        name: 'soundcheck: production readiness',
        score: 8,
        maxScore: 10,
        percent: 80,
        measuredAt: hoursAgo(20),
        url: 'https://soundcheck.example.com/authn',
        checks: [
          { name: 'has runbook', passed: true },
          {
            name: 'alerts routed',
            passed: false,
            url: 'https://soundcheck.example.com/authn/alerts',
          },
        ],
      },
      history: [
        { measuredAt: hoursAgo(68), percent: 60 },
        { measuredAt: hoursAgo(44), percent: 70 },
        { measuredAt: hoursAgo(20), percent: 80 },
      ],
    },
  ],
};

/**
 * authn's last days: $10 a day on mira before its 3.4.3, $13 after (the
 * last day an estimate), $5 once on vega; one successful deployment.
 */
export const cost: CostResponse = {
  filter: {
    serviceId: 'authn',
    from: '2026-02-01T00:00:00.000Z',
    to: '2026-03-01T00:00:00.000Z',
    compareDays: 7,
  },
  successfulDeployments: 1,
  currencies: [
    {
      currency: 'USD',
      total: 64,
      days: [
        { date: '2026-02-22', amount: 10, estimated: false },
        { date: '2026-02-23', amount: 15, estimated: false },
        { date: '2026-02-25', amount: 13, estimated: false },
        { date: '2026-02-26', amount: 13, estimated: false },
        { date: '2026-02-27', amount: 13, estimated: true },
      ],
      breakdown: [
        { id: 'mira-us-west-2', amount: 59 },
        { id: 'vega-eu-west-1', amount: 5 },
      ],
      breakdownCount: 2,
      perSuccessfulDeployment: 64,
    },
  ],
  deployments: [
    {
      attemptId: 'mira-us-west-2:authn:3.4.3:7',
      serviceId: 'authn',
      clusterId: 'mira-us-west-2',
      buildVersion: '3.4.3',
      deployedAt: hoursAgo(30),
      currency: 'USD',
      before: { days: 2, dailyMean: 10 },
      after: { days: 3, dailyMean: 13 },
      change: 3,
      changePercent: 30,
      overlapped: false,
    },
  ],
  definitions: COST_DEFINITIONS,
};

export const flakyTests: FlakyTestsResponse = {
  filter: {
    serviceId: 'authn',
    from: '2026-01-25T00:00:00.000Z',
    to: '2026-02-24T00:00:00.000Z',
    flipWindow: 5,
  },
  tests: [
    {
      caseId: '17',
      suite: 'api',
      className: 'com.example.CartTest',
      name: 'totals the prices',
      suiteType: 'FUNCTIONAL',
      runs: 8,
      flakyRuns: 3,
      flakeRate: 0.375,
      firstSeen: hoursAgo(70),
      lastSeen: hoursAgo(3),
      evidence: [
        {
          kind: 'flip',
          attemptId: 'mira-us-west-2:authn:3.4.2:1',
          clusterId: 'mira-us-west-2',
          buildVersion: '3.4.2',
          executedAt: hoursAgo(3),
          signature: 'timeout after <n> ms',
        },
        {
          kind: 'retry',
          attemptId: 'mira-us-west-2:authn:3.4.1:1',
          clusterId: 'mira-us-west-2',
          buildVersion: '3.4.1',
          executedAt: hoursAgo(30),
          signature: null,
        },
      ],
    },
  ],
  truncated: false,
  changeFailures: {
    failures: 2,
    finished: 8,
    rate: 0.25,
    testNoise: 1,
    rateWithoutTestNoise: 0.125,
    noise: [
      {
        attemptId: 'mira-us-west-2:authn:3.4.2:1',
        clusterId: 'mira-us-west-2',
        buildVersion: '3.4.2',
        status: 'FAILED',
        endedAt: hoursAgo(3),
        tests: ['totals the prices'],
      },
    ],
  },
  definitions: FLAKY_DEFINITIONS,
};

export const testHistory: TestHistoryResponse = {
  filter: {
    serviceId: 'authn',
    from: '2026-01-25T00:00:00.000Z',
    to: '2026-02-24T00:00:00.000Z',
    limit: 50,
  },
  test: {
    caseId: '17',
    suite: 'api',
    className: 'com.example.CartTest',
    name: 'totals the prices',
  },
  outcomes: [
    {
      attemptId: 'mira-us-west-2:authn:3.4.2:1',
      clusterId: 'mira-us-west-2',
      buildVersion: '3.4.2',
      suiteType: 'FUNCTIONAL',
      executedAt: hoursAgo(3),
      status: 'failed',
      durationMs: 5012,
      retries: 0,
      flaky: 'flip',
      message: 'timeout after 5012 ms',
      signature: 'timeout after <n> ms',
    },
    {
      attemptId: 'mira-us-west-2:authn:3.4.2:1',
      clusterId: 'mira-us-west-2',
      buildVersion: '3.4.2',
      suiteType: 'FUNCTIONAL',
      executedAt: hoursAgo(5),
      status: 'passed',
      durationMs: 250,
      retries: 0,
      flaky: null,
      message: null,
      signature: null,
    },
  ],
  signatures: [
    {
      signature: 'timeout after <n> ms',
      runs: 2,
      lastSeen: hoursAgo(3),
      message: 'timeout after 5012 ms',
    },
  ],
};

export const failureSignatures: FailureSignaturesResponse = {
  filter: {
    from: '2026-01-25T00:00:00.000Z',
    to: '2026-02-24T00:00:00.000Z',
    limit: 20,
  },
  signatures: [
    {
      signatureId: '3',
      signature: 'connection refused to <ip>',
      attempts: 14,
      services: 3,
      clusters: 2,
      failures: 40,
      tests: 9,
      lastSeen: hoursAgo(1),
      topServices: [
        { serviceId: 'payments', attempts: 9 },
        { serviceId: 'authn', attempts: 5 },
      ],
    },
  ],
};

export const signatureOccurrences: SignatureOccurrencesResponse = {
  filter: {
    from: '2026-01-25T00:00:00.000Z',
    to: '2026-02-24T00:00:00.000Z',
  },
  signatureId: '3',
  signature: 'connection refused to <ip>',
  occurrences: [
    {
      caseId: '40',
      suite: 'api',
      className: 'com.example.PayTest',
      name: 'charges a card',
      serviceId: 'payments',
      clusterId: 'mira-us-west-2',
      attemptId: 'mira-us-west-2:payments:2.0.1:4',
      buildVersion: '2.0.1',
      executedAt: hoursAgo(1),
      message: 'connection refused to 10.0.4.2',
    },
  ],
};

export const quarantine: QuarantineResponse = {
  serviceId: 'authn',
  canManage: true,
  tests: [
    {
      caseId: '21',
      suite: 'api',
      className: 'com.example.CartTest',
      name: 'applies a coupon',
      reason: 'JIRA-42: the coupon service is down',
      source: 'ui',
      addedBy: 'user:default/guest',
      addedAt: hoursAgo(26),
    },
  ],
};

export function fakeApi(
  overrides: Partial<DeploymentQualityApi> = {},
): jest.Mocked<DeploymentQualityApi> {
  return {
    getClusters: jest.fn(async () => clusters),
    getClusterSummary: jest.fn(async () => clusterSummary),
    getClusterValidations: jest.fn(async () => clusterValidations),
    getAttempts: jest.fn(async () => ({
      attempts: [attempt(3, { status: 'FAILED' })],
    })),
    getClusterAttempts: jest.fn(async () => ({
      attempts: [attempt(3, { status: 'FAILED' }), attempt(2)],
    })),
    getServices: jest.fn(async () => ({
      services: [
        {
          serviceId: 'authn',
          clusters: [mira.id],
          latestAttemptAt: hoursAgo(2),
        },
        { serviceId: 'payments', clusters: [vega.id], latestAttemptAt: null },
      ],
      servicesPage: { offset: 0, limit: 20, total: 2 },
    })),
    getBuild: jest.fn(async () => buildDetail),
    getAnalytics: jest.fn(async () => analytics),
    getScorecard: jest.fn(async () => scorecard),
    getScorecardCsv: jest.fn(async () => ({
      filename: 'scorecard-2026-02-24.csv',
      csv: new Blob(['service_id\nauthn\n'], { type: 'text/csv' }),
    })),
    getGateCheck: jest.fn(),
    getEntitySummary: jest.fn(async () => entitySummary),
    getEntityRollup: jest.fn(async () => rollup),
    getEntityAttempts: jest.fn(async () => ({
      attempts: [attempt(3, { status: 'FAILED' }), attempt(2)],
      nextCursor: 'page-2',
    })),
    getEntityAnalytics: jest.fn(async () => analytics),
    getEntityPromotions: jest.fn(async () => promotions),
    getEntityExternalScorecards: jest.fn(async () => externalScorecards),
    getEntityCost: jest.fn(async () => cost),
    getEntityFlakyTests: jest.fn(async () => flakyTests),
    getEntityTestHistory: jest.fn(async () => testHistory),
    getEntityQuarantine: jest.fn(async () => quarantine),
    getFailureSignatures: jest.fn(async () => failureSignatures),
    getFailureSignature: jest.fn(async () => signatureOccurrences),
    quarantineTest: jest.fn(async (_e, caseId: string, reason: string) => ({
      ...quarantine.tests[0],
      caseId,
      reason,
    })),
    liftQuarantine: jest.fn(async () => undefined),
    getClusterCost: jest.fn(async () => ({
      ...cost,
      filter: {
        ...cost.filter,
        serviceId: undefined,
        clusterId: 'mira-us-west-2',
      },
    })),
    getStatus: jest.fn(async () => status),
    ...overrides,
  } as jest.Mocked<DeploymentQualityApi>;
}

/** A promise that never settles: the view stays loading. */
export const pending = () => new Promise<never>(() => {});
