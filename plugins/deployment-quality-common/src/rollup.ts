import type { DoraFigures } from './analytics';
import type { Gates, LatestAttempt } from './api';
import type { ScorecardEntry } from './scorecard';

/**
 * The answer of `GET /entities/:namespace/:kind/:name/rollup` for a Group
 * (the Components it owns), a System (its Components) or a Domain (the
 * Components of its Systems): only the Components the caller may read. @public
 */
export type EntityRollupResponse = {
  entityRef: string;
  window: { from: string; to: string };
  /** By service id; at most 500 (`truncated` when there were more). */
  services: Array<{
    serviceId: string;
    serviceName: string;
    entityRef: string;
    clusters: Array<{
      clusterId: string;
      currentVersion: string | null;
      latestAttempt: LatestAttempt;
      gates: Gates;
    }>;
  }>;
  truncated: boolean;
  /** (cluster, service) pairs whose latest attempt failed or rolled back. */
  attention: number;
  /** Over the services above and the window. */
  dora: DoraFigures;
  /** Their scorecard rows over the window, best first. */
  scorecard: ScorecardEntry[];
};
