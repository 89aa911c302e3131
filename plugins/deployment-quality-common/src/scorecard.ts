import { z } from 'zod';
import type { ExternalScore } from './api';

/** The figures a service's quality score is built from. @public */
export const SCORECARD_METRICS = [
  'deploySuccessRate',
  'gatePassRate',
  'changeFailureRate',
  'leadTime',
  'timeToRestore',
] as const;
/** @public */
export type ScorecardMetric = (typeof SCORECARD_METRICS)[number];

/**
 * Where a metric scores 100 (`good`) and 0 (`bad`), linearly in between. For
 * rates, `good` > `bad`; for failure rates and times, `good` < `bad`.
 * @public
 */
export type ScorecardThreshold = {
  good: number;
  bad: number;
};

/** @public */
export type ScorecardPolicy = {
  weights: Record<ScorecardMetric, number>;
  thresholds: Record<ScorecardMetric, ScorecardThreshold>;
  /** Lowest score of each grade, best first; below the last: F. */
  grades: Array<{ grade: string; min: number }>;
};

/** The defaults app-config overrides under `deploymentQuality.scorecard`. @public */
export const DEFAULT_SCORECARD_POLICY: ScorecardPolicy = {
  weights: {
    deploySuccessRate: 0.3,
    gatePassRate: 0.25,
    changeFailureRate: 0.2,
    leadTime: 0.15,
    timeToRestore: 0.1,
  },
  thresholds: {
    // SUCCESS/LIVE over finished attempts, 0–1.
    deploySuccessRate: { good: 0.98, bad: 0.7 },
    // Σpassed / Σtotal × 100 over the service's test runs.
    gatePassRate: { good: 99.5, bad: 90 },
    // (FAILED + ROLLBACK) / finished, 0–1.
    changeFailureRate: { good: 0.05, bad: 0.3 },
    // Minutes, p50.
    leadTime: { good: 60, bad: 7 * 24 * 60 },
    timeToRestore: { good: 60, bad: 7 * 24 * 60 },
  },
  grades: [
    { grade: 'A', min: 90 },
    { grade: 'B', min: 75 },
    { grade: 'C', min: 60 },
    { grade: 'D', min: 40 },
  ],
};

/** One service's row of `GET /scorecard`. @public */
export type ScorecardEntry = {
  serviceId: string;
  entityRef?: string;
  /** 0–100, the weighted mean of the metrics that have data; null with none. */
  score: number | null;
  grade: string | null;
  /** The inputs, as measured in the window; null where there was no sample. */
  metrics: {
    deploySuccessRate: number | null;
    gatePassRate: number | null;
    changeFailureRate: number | null;
    leadTimeP50Min: number | null;
    failedDeploymentRecoveryTimeP50Min: number | null;
    /** @deprecated The old name of failedDeploymentRecoveryTimeP50Min. */
    timeToRestoreP50Min: number | null;
    deploys: number;
    finished: number;
    testRuns: number;
    recoveries: number;
  };
  /** Each metric's 0–100 sub-score (null: no data, left out of the mean). */
  subScores: Record<ScorecardMetric, number | null>;
  /**
   * Scorecards other tools sent for the service, newest per name (at most
   * 20), shown beside the score and never part of it.
   */
  external: ExternalScore[];
};

/** The answer of `GET /scorecard`. @public */
export type ScorecardResponse = {
  window: { from: string; to: string };
  policy: ScorecardPolicy;
  /** Best score first; services without any data last. */
  services: ScorecardEntry[];
};

/** Query of `GET /scorecard` and `GET /scorecard/csv`. @public */
export const scorecardQuerySchema = z.object({
  from: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  to: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
});
