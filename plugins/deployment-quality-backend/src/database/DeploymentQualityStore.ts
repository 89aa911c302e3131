import {
  Attempt,
  AttemptStatus,
  EventEnvelope,
  Gates,
  Promotion,
  TestRun,
  ValidationProblem,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Visibility } from '../visibility/Visibility';

/** A cluster registered by a `cluster-config` event. */
export interface StoredCluster {
  id: string;
  name: string;
  type: string;
  role: string;
  description: string;
  region?: string;
}

/** The state of one service on one cluster, as the summaries show it. */
export interface PairState {
  clusterId: string;
  serviceId: string;
  latestAttempt: Attempt;
  currentVersion: string | null;
}

/** A service and the clusters it runs on. */
export interface ServicePairs {
  serviceId: string;
  clusterIds: string[];
  /** When its latest attempt on any of them started. */
  latestAttemptAt: string | null;
}

/** One cluster's pairs by the state of their latest attempt. */
export interface PairCounts {
  services: number;
  /** Latest attempt deployed (SUCCESS, LIVE). */
  healthy: number;
  /** Latest attempt failed (FAILED, ROLLBACK). */
  attention: number;
  latestAttemptAt: string;
}

export interface AttemptQuery {
  clusterId?: string;
  serviceId?: string;
  status?: AttemptStatus;
  /** Attempts of services hidden from the caller are left out. */
  visibility: Visibility;
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

/** Why an event was refused (the diagnostics route counts by it). */
export type RejectionReason =
  | 'malformed-json'
  | 'invalid-event'
  | 'invalid-envelope';

/** What could be read of one refused event, and what is wrong with it. */
export type RejectedItem = {
  eventId?: string;
  eventType?: string;
  /** The service the event was about, when it could be read. */
  serviceId?: string;
  problems: ValidationProblem[];
};

type RejectionHeader = {
  receivedAt: string;
  /** How it arrived. */
  transport: 'webhook' | 'sqs';
  /** The webhook key's name, or the envelope's source when readable. */
  source?: string;
  reason: RejectionReason;
  /** The body as received; the store keeps a bounded prefix. */
  body?: string;
};

/**
 * A refused request or queue message, recorded once whatever it held: one
 * refused event (its fields inline), or the refused items of a batch in
 * order.
 */
export type RejectedEvent = RejectionHeader &
  (
    | RejectedItem
    | {
        refused: RejectedItem[];
        /**
         * Every service the body names, its valid events' included: the body
         * shows them all, so it is shown only to callers who see them all.
         */
        services?: string[];
      }
  );

/** A stored rejection, as diagnostics list it. */
export type RecordedRejection = RejectionHeader &
  RejectedItem & {
    id: string;
    /** The refused events of the request this record covers. */
    items: number;
  };
export interface IngestOutcome {
  eventId: string;
  /** True when the event id had been stored before: nothing was changed. */
  duplicate: boolean;
  /**
   * True when the event is about a time before the retention window: nothing
   * was stored, so a replay of trimmed history can't bring it back.
   */
  expired?: boolean;
  /**
   * Set when the database refused a value of this event (see
   * isolateRefused): nothing of it was stored, the rest of its batch was.
   * The reason is plain, for answers; the error is for the logs.
   */
  failed?: { reason: string; error: unknown };
}

/** Rows one retention run deleted, per table. */
export type RetentionCounts = {
  attempts: number;
  testRuns: number;
  promotions: number;
  rejectedEvents: number;
  ingestedEvents: number;
  /** (cluster, service) pairs left without any attempt. */
  servicePairs: number;
  /** Cluster validation runs; each suite's latest is kept. */
  clusterValidations: number;
  /** External scorecard measurements; each name's newest is kept. */
  externalScorecards: number;
  /** Daily cost figures. */
  costs: number;
  /** Runs' test cases (their outcomes; failures and unused sets go with them). */
  testCases: number;
};

export type RetentionRun = {
  startedAt: string;
  finishedAt: string;
  /** Rows older than this were deleted. */
  cutoff: string;
  deleted: RetentionCounts;
};

/** Storage for deployment attempts, test runs, promotions and clusters. */
export interface DeploymentQualityStore {
  /**
   * Applies one validated event in one transaction, idempotently by
   * `eventId`, following the contract's attempt identity and ordering rules.
   */
  ingest(event: EventEnvelope): Promise<IngestOutcome>;
  /**
   * As {@link DeploymentQualityStore.ingest} for each event, all in one
   * transaction, except for the events the database refuses a value of:
   * those fail alone (`failed`) and the rest are stored. Rejects when the
   * database itself fails (unreachable, out of space…), so the sender
   * retries the whole batch.
   */
  ingestBatch(events: EventEnvelope[]): Promise<IngestOutcome[]>;

  /**
   * Records a refusal in a bounded number of rows, then drops the oldest
   * records beyond the cap: answers how many rejected events they covered.
   */
  recordRejected(event: RejectedEvent): Promise<{ dropped: number }>;
  /** Newest first, without those about services hidden from the caller. */
  listRejected(options: {
    limit: number;
    visibility: Visibility;
  }): Promise<RecordedRejection[]>;
  /** Rejected events still recorded, by reason, as the caller may see them. */
  countRejectedByReason(
    visibility: Visibility,
  ): Promise<Record<string, number>>;
  /** Rejected events whose records were dropped for the cap, ever. */
  countDroppedRejected(): Promise<number>;

  listRegisteredClusters(): Promise<StoredCluster[]>;
  getRegisteredCluster(clusterId: string): Promise<StoredCluster | undefined>;
  /** Cluster ids met in attempts, registered or not. */
  listSeenClusterIds(): Promise<string[]>;
  /** Whether any attempt was met on the cluster, registered or not. */
  hasCluster(clusterId: string): Promise<boolean>;
  /** Whether the service has reported an attempt on any cluster. */
  hasService(serviceId: string): Promise<boolean>;
  /**
   * Latest attempt and current version of every service on every cluster
   * matching the filter, among the services visible to the caller.
   */
  listPairStates(filter: {
    clusterId?: string;
    serviceId?: string;
    /** One page of services (a team's, a system's). */
    serviceIds?: string[];
    visibility: Visibility;
  }): Promise<PairState[]>;
  /**
   * One page of the visible services (by id) with the clusters each runs
   * on; `clusterId` keeps those on one cluster, `q` those whose id or
   * catalog title contains it. `total` counts every match.
   */
  pageServices(filter: {
    visibility: Visibility;
    clusterId?: string;
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ services: ServicePairs[]; total: number }>;
  /**
   * One page of a cluster's visible pairs, what needs attention first
   * (failed or rolled back, then in progress), by name (catalog title, else
   * service id) within; `q` keeps the services whose id or title contains
   * it. `total` counts every match.
   */
  pageClusterPairs(filter: {
    clusterId: string;
    visibility: Visibility;
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ states: PairState[]; total: number }>;
  /** Per cluster with any pair: its visible pairs by their latest state. */
  countPairsByCluster(visibility: Visibility): Promise<Map<string, PairCounts>>;
  /**
   * Brings the daily rollups up to every write committed before the call;
   * answers their generation, which changes whenever they do.
   */
  settleRollups(): Promise<number>;
  /** Attempts on the cluster by status, of the services visible to the caller. */
  countAttemptsByStatus(filter: {
    clusterId: string;
    visibility: Visibility;
  }): Promise<Record<AttemptStatus, number>>;
  /** Newest first (by `startedAt`, then id), keyset-paginated. */
  listAttempts(
    query: AttemptQuery,
  ): Promise<{ attempts: Attempt[]; nextCursor?: string }>;
  getAttempt(id: string): Promise<Attempt | undefined>;
  /** The build's latest attempt (by startedAt, then id) on the cluster. */
  findLatestAttemptOfBuild(build: {
    clusterId: string;
    serviceId: string;
    buildVersion: string;
  }): Promise<Attempt | undefined>;
  /** A service's promotions, newest first, keyset-paginated. */
  listPromotions(query: {
    serviceId: string;
    limit: number;
    cursor?: string;
  }): Promise<{ promotions: Promotion[]; nextCursor?: string }>;
  /** Gates of each attempt: the latest run of every suite. */
  getGates(attemptIds: string[]): Promise<Map<string, Gates>>;
  listTestRuns(attemptId: string): Promise<TestRun[]>;
  listPromotionsOfBuild(
    serviceId: string,
    buildVersion: string,
  ): Promise<Promotion[]>;

  /**
   * Deletes everything older than `cutoff`, `batchSize` rows per statement so
   * no statement holds a long lock or builds a huge transaction.
   */
  deleteOlderThan(
    cutoff: Date,
    options: { batchSize: number },
  ): Promise<RetentionCounts>;
  recordRetentionRun(run: RetentionRun): Promise<void>;
  /** The newest recorded run, and how many runs started at or after `since`. */
  retentionRuns(since: Date): Promise<{ latest?: RetentionRun; count: number }>;
}
