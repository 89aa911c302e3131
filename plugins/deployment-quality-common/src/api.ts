import type { AttemptStatus, Trigger } from './events';

/** The annotation linking a catalog entity to a service id. @public */
export const SERVICE_ID_ANNOTATION = 'deployment-quality/service-id';

/** @public */
export type Attempt = {
  id: string;
  clusterId: string;
  serviceId: string;
  buildVersion: string;
  gitSha: string;
  startedAt: string;
  endedAt: string | null;
  status: AttemptStatus;
  trigger: Trigger;
  failureReason?: string;
  rollbackToBuild?: string;
  source: string;
  commitAt?: string;
};

/** The counts of one suite run, a build's or a whole cluster-region's. @public */
export type SuiteRunCounts = {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  durationSec: number;
  executedAt: string;
  reportUrl?: string;
};

/** @public */
export type TestRun = SuiteRunCounts & {
  attemptId: string;
  suiteType: string;
};

/** @public */
export type Promotion = {
  promotionId: string;
  serviceId: string;
  buildVersion: string;
  fromClusterId: string;
  toClusterId: string;
  promotedBy: string;
  promotedAt: string;
};

/** The outcome of one suite's latest run on an attempt. @public */
export type GateResult = {
  passed: number;
  total: number;
  failed: number;
  skipped: number;
};

/**
 * Gates of an attempt, keyed by lower-case suite name (`functional`, `sanity`,
 * `regression`, or any other suite the attempt ran).
 * @public
 */
export type Gates = Record<string, GateResult>;

/** @public */
export type AttemptWithGates = Attempt & { gates: Gates };

/** @public */
export type Cluster = {
  id: string;
  name: string;
  type: string;
  role: string;
  description: string;
  region?: string;
  /** Declared in app-config or registered by a cluster-config event. */
  configured: boolean;
};

/** @public */
export type ClusterHealth = {
  services: number;
  /** Services whose latest attempt succeeded (SUCCESS or LIVE). */
  healthy: number;
  /** Services whose latest attempt FAILED or was a ROLLBACK. */
  attention: number;
  latestAttemptAt: string | null;
};

/** A cluster-region's own validation suites, as the overview counts them. @public */
export type ClusterValidationCounts = {
  /** Suites ever reported for the cluster-region (their latest run kept). */
  suites: number;
  /** Suites whose latest run had a failed test. */
  failing: number;
};

/** @public */
export type ClustersResponse = {
  clusters: Array<
    Cluster & { summary: ClusterHealth; validations: ClusterValidationCounts }
  >;
};

/** One run of a suite against a whole cluster-region. @public */
export type ClusterValidationRun = SuiteRunCounts & {
  suite: string;
  labels: Record<string, string>;
  /** passed / total × 100, two decimals; null when total is 0. */
  passRate: number | null;
  /** No test failed. */
  ok: boolean;
};

/** A scorecard another tool sent for a service, as measured once. @public */
export type ExternalScore = {
  name: string;
  score: number;
  maxScore: number;
  /** score / maxScore × 100, one decimal. */
  percent: number;
  measuredAt: string;
};

/** `GET /entities/:namespace/:kind/:name/external-scorecards`. @public */
export type ExternalScorecardsResponse = {
  /** Newest per name, most recently measured first (at most 20 names). */
  scorecards: Array<{
    name: string;
    latest: ExternalScore & {
      url?: string;
      checks: Array<{ name: string; passed: boolean; url?: string }>;
    };
    /** The last 30 measurements, oldest first. */
    history: Array<{ measuredAt: string; percent: number }>;
  }>;
};

/** `GET /clusters/:clusterId/validations`. @public */
export type ClusterValidationsResponse = {
  clusterId: string;
  /** The 50 most recently run suites, failing ones first, then by name. */
  suites: Array<{
    suite: string;
    latest: ClusterValidationRun;
    /** The last 30 runs, oldest first. */
    recent: Array<{ executedAt: string; passRate: number | null; ok: boolean }>;
  }>;
};

/** @public */
export type LatestAttempt = {
  id: string;
  status: AttemptStatus;
  buildVersion: string;
  startedAt: string;
};

/** One service's state on one cluster. @public */
export type ServiceOnCluster = {
  serviceId: string;
  serviceName: string;
  entityRef?: string;
  currentVersion: string | null;
  latestAttempt: LatestAttempt;
  gates: Gates;
};

/** @public */
export type ClusterSummaryResponse = {
  cluster: Cluster;
  summary: {
    totalAttempts: number;
    success: number;
    failed: number;
    rollback: number;
    inProgress: number;
  };
  /**
   * One page of the cluster's services: failed and rolled back first, then
   * in progress, then the rest, by name within each.
   */
  services: ServiceOnCluster[];
  /** Where the page lies among the services matching `q`. */
  servicesPage: { offset: number; limit: number; total: number };
};

/** @public */
export type AttemptsPage = {
  attempts: AttemptWithGates[];
  nextCursor?: string;
};

/** A service's promotions, newest first. @public */
export type PromotionsPage = {
  promotions: Promotion[];
  nextCursor?: string;
};

/** @public */
export type BuildDetailResponse = {
  attempt: Attempt;
  testRuns: TestRun[];
  promotions: Promotion[];
  /** The Component of the attempt's service, when linked. */
  entityRef?: string;
  /**
   * Tests of its runs that failed, or passed only after failed retries
   * (from reports with test cases): failed first, at most 100.
   */
  failedTests: FailedTest[];
};

/** A test that failed (or needed retries) in one of an attempt's runs. @public */
export type FailedTest = {
  caseId: string;
  suite: string;
  className: string;
  name: string;
  suiteType: string;
  /** The final outcome: `passed` after `retries` failed tries. */
  status: 'failed' | 'passed';
  retries: number;
  message: string | null;
  signature: string | null;
  executedAt: string;
};

/** @public */
export type ServicesResponse = {
  services: Array<{
    serviceId: string;
    entityRef?: string;
    clusters: string[];
    latestAttemptAt: string | null;
  }>;
  /** Where the page lies among the services matching the query. */
  servicesPage: { offset: number; limit: number; total: number };
};

/** The entity's service on every cluster it was deployed to. @public */
export type EntitySummaryResponse = {
  entityRef: string;
  serviceId: string;
  clusters: Array<
    Omit<ServiceOnCluster, 'serviceId' | 'serviceName' | 'entityRef'> & {
      cluster: Cluster;
    }
  >;
};

/** The answer of `POST /ingest/webhook` for one event. @public */
export type IngestResponse = {
  eventId: string;
  status: 'queued' | 'stored';
  /**
   * For a deployment event, the attempt it is stored under (see
   * `deriveAttemptId`), so a CI can post its test results by `attemptId`.
   * Absent when the event expired. Computed from the event as sent, the same
   * whether stored or queued; for a duplicate, the first event's attempt
   * when that was a retry of the same body.
   */
  attemptId?: string;
  /** True when this event id was already stored: nothing changed. */
  duplicate?: boolean;
  /**
   * True when the event is about a time before the retention window
   * (`deploymentQuality.retention.days`): nothing was stored.
   */
  expired?: boolean;
};

/**
 * An accepted event of a batch that the database refused to store (a value
 * it can't take): nothing of it was stored, the rest of the batch was. A
 * request none of whose events could be stored fails whole instead (5xx).
 * @public
 */
export type FailedIngestResponse = {
  eventId: string;
  status: 'failed';
  /** Why, in plain words; the backend logs the database's own error. */
  reason: string;
};

/** The answer of the batch webhook: one result per event, in order. @public */
export type BatchIngestResponse = {
  results: Array<
    | IngestResponse
    | FailedIngestResponse
    | {
        eventId?: string;
        status: 'rejected';
        problems: Array<{ path: string; message: string }>;
      }
  >;
};

/** One suite in the answer of `GET /gates`. @public */
export type GateCheckSuite = GateResult & {
  suite: string;
  /**
   * passed / (total − quarantined) × 100 of the suite's latest run; null
   * when that is 0.
   */
  passRate: number | null;
  /** The configured minimum pass rate for this suite. */
  threshold: number;
  ok: boolean;
  /** Its failed tests that are quarantined: left out of the pass rate. */
  quarantined: number;
};

/**
 * The answer of `GET /gates`: may this build be promoted from this cluster?
 * `passed` is true when the attempt succeeded (SUCCESS or LIVE), every
 * required suite ran, and every suite's latest run meets its threshold.
 * @public
 */
export type GateCheckResponse = {
  serviceId: string;
  buildVersion: string;
  clusterId: string;
  /** The build's latest attempt on the cluster (by startedAt). */
  attemptId: string;
  attemptStatus: AttemptStatus;
  passed: boolean;
  suites: GateCheckSuite[];
  /** Required suites that have not run on the attempt. */
  missing: string[];
  /** Why it did not pass, one line each. */
  reasons: string[];
};

/** `limit` bounds for list routes. @public */
export const LIST_LIMITS = {
  clusterDefault: 15,
  serviceDefault: 50,
  /** Services per page of the service list and a cluster summary. */
  servicesDefault: 100,
  max: 500,
} as const;

/**
 * The answer of `GET /status`: whether the plugin can take and store events
 * right now, and why not. `problems` names each thing that is wrong (the
 * database unreachable, the consumer backing off, messages in the DLQ...),
 * so a view says so rather than showing stale data silently.
 * @public
 */
export type StatusResponse = {
  checkedAt: string;
  ok: boolean;
  problems: string[];
  database: { ok: boolean; latencyMs?: number; error?: string };
  ingestion: {
    /** `embedded`: the webhook writes; `queue`: through SQS. */
    mode: 'embedded' | 'queue';
    consumer?: {
      state: 'stopped' | 'running' | 'backing-off';
      reason?: string;
      lastReceiveAt?: string;
      receiveErrors: number;
      failedWrites: number;
    };
    /** Received → stored of the newest event this replica stored. */
    lastIngestLagSeconds?: number;
    queue?: {
      depth?: number;
      inFlight?: number;
      dlqDepth?: number;
      checkedAt?: string;
      error?: string;
    };
  };
  retention: {
    days: number;
    lastRun?: {
      startedAt: string;
      finishedAt: string;
      cutoff: string;
      deleted: Record<string, number>;
    };
    error?: string;
  };
  /**
   * The daily rollups' refresh queue (absent while the database is down):
   * keys written but not yet recomputed. Reads recompute them before they
   * answer, so a backlog costs time, not correctness.
   */
  rollups?: {
    queuedKeys?: number;
    oldestQueuedAt?: string;
    /**
     * Keys whose refresh failed on its own (their sums overflow, say): set
     * aside and retried with back-off so they hold up nothing else; until a
     * retry succeeds, their days' figures are stale.
     */
    parkedKeys?: number;
    /** The 20 oldest parked keys; only for callers with the read permission. */
    parked?: Array<{
      rollup: 'attempts-by-start' | 'attempts-by-end' | 'test-runs';
      clusterId: string;
      serviceId: string;
      /** The UTC day (`YYYY-MM-DD`). */
      day: string;
      failures: number;
      retryAt: string;
      error: string;
    }>;
    error?: string;
  };
};
