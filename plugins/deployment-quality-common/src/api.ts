import type { AttemptStatus, Trigger } from './events';

/** The annotation linking a catalog entity to a service id. @public */
export const SERVICE_ID_ANNOTATION = 'deployment-quality/service-id';

/** @public */
export interface Attempt {
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
}

/** @public */
export interface TestRun {
  attemptId: string;
  suiteType: string;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  durationSec: number;
  executedAt: string;
  reportUrl?: string;
}

/** @public */
export interface Promotion {
  promotionId: string;
  serviceId: string;
  buildVersion: string;
  fromClusterId: string;
  toClusterId: string;
  promotedBy: string;
  promotedAt: string;
}

/** The outcome of one suite's latest run on an attempt. @public */
export interface GateResult {
  passed: number;
  total: number;
  failed: number;
  skipped: number;
}

/**
 * Gates of an attempt, keyed by lower-case suite name (`functional`, `sanity`,
 * `regression`, or any other suite the attempt ran).
 * @public
 */
export type Gates = Record<string, GateResult>;

/** @public */
export type AttemptWithGates = Attempt & { gates: Gates };

/** @public */
export interface Cluster {
  id: string;
  name: string;
  type: string;
  role: string;
  description: string;
  region?: string;
  /** Declared in app-config or registered by a cluster-config event. */
  configured: boolean;
}

/** @public */
export interface ClusterHealth {
  services: number;
  /** Services whose latest attempt succeeded (SUCCESS or LIVE). */
  healthy: number;
  /** Services whose latest attempt FAILED or was a ROLLBACK. */
  attention: number;
  latestAttemptAt: string | null;
}

/** @public */
export interface ClustersResponse {
  clusters: Array<Cluster & { summary: ClusterHealth }>;
}

/** @public */
export interface LatestAttempt {
  id: string;
  status: AttemptStatus;
  buildVersion: string;
  startedAt: string;
}

/** One service's state on one cluster. @public */
export interface ServiceOnCluster {
  serviceId: string;
  serviceName: string;
  entityRef?: string;
  currentVersion: string | null;
  latestAttempt: LatestAttempt;
  gates: Gates;
}

/** @public */
export interface ClusterSummaryResponse {
  cluster: Cluster;
  summary: {
    totalAttempts: number;
    success: number;
    failed: number;
    rollback: number;
    inProgress: number;
  };
  services: ServiceOnCluster[];
}

/** @public */
export interface AttemptsPage {
  attempts: AttemptWithGates[];
  nextCursor?: string;
}

/** A service's promotions, newest first. @public */
export interface PromotionsPage {
  promotions: Promotion[];
  nextCursor?: string;
}

/** @public */
export interface BuildDetailResponse {
  attempt: Attempt;
  testRuns: TestRun[];
  promotions: Promotion[];
}

/** @public */
export interface ServicesResponse {
  services: Array<{
    serviceId: string;
    entityRef?: string;
    clusters: string[];
    latestAttemptAt: string | null;
  }>;
}

/** The entity's service on every cluster it was deployed to. @public */
export interface EntitySummaryResponse {
  entityRef: string;
  serviceId: string;
  clusters: Array<
    Omit<ServiceOnCluster, 'serviceId' | 'serviceName' | 'entityRef'> & {
      cluster: Cluster;
    }
  >;
}

/** The answer of `POST /ingest/webhook` for one event. @public */
export interface IngestResponse {
  eventId: string;
  status: 'queued' | 'stored';
  /** True when this event id was already stored: nothing changed. */
  duplicate?: boolean;
}

/** The answer of the batch webhook: one result per event, in order. @public */
export interface BatchIngestResponse {
  results: Array<
    | IngestResponse
    | {
        eventId?: string;
        status: 'rejected';
        problems: Array<{ path: string; message: string }>;
      }
  >;
}

/** One suite in the answer of `GET /gates`. @public */
export interface GateCheckSuite extends GateResult {
  suite: string;
  /** Σpassed / Σtotal × 100 of the suite's latest run; null when total is 0. */
  passRate: number | null;
  /** The configured minimum pass rate for this suite. */
  threshold: number;
  ok: boolean;
}

/**
 * The answer of `GET /gates`: may this build be promoted from this cluster?
 * `passed` is true when the attempt succeeded (SUCCESS or LIVE), every
 * required suite ran, and every suite's latest run meets its threshold.
 * @public
 */
export interface GateCheckResponse {
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
}

/** `limit` bounds for list routes. @public */
export const LIST_LIMITS = {
  clusterDefault: 15,
  serviceDefault: 50,
  max: 500,
} as const;
