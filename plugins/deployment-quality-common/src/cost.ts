import { z } from 'zod';
import { analyticsQuerySchema } from './analytics';

/** Days compared before and after a deployment when the query names none. @public */
export const DEFAULT_COST_COMPARE_DAYS = 7;
/** Most clusters or services a cost answer itemises per currency. @public */
export const COST_BREAKDOWN_LIMIT = 20;
/** Most deployments whose cost change a cost answer lists. @public */
export const COST_DEPLOYMENTS_LIMIT = 20;

/** Query of a service's or a cluster-region's cost. @public */
export const costQuerySchema = analyticsQuerySchema
  .pick({ from: true, to: true })
  .extend({
    /** Days before and after each deployment its cost change compares. */
    compareDays: z.coerce.number().int().min(1).max(30).optional(),
  });
/** @public */
export type CostQuery = Omit<z.input<typeof costQuerySchema>, 'compareDays'> & {
  compareDays?: number;
};

/** One UTC day's cost in one currency. @public */
export type CostDay = {
  date: string;
  amount: number;
  /** Some of the day's figures may still change. */
  estimated: boolean;
};

/** What one cluster-region (of a service) or one service (of a cluster) cost. @public */
export type CostShare = { id: string; amount: number };

/** A window's cost in one currency (currencies are never converted). @public */
export type CostInCurrency = {
  currency: string;
  total: number;
  /** The days with figures, oldest first. */
  days: CostDay[];
  /**
   * By cluster-region for a service, by service for a cluster-region:
   * the largest COST_BREAKDOWN_LIMIT, largest first.
   */
  breakdown: CostShare[];
  /** How many clusters or services had a cost in all. */
  breakdownCount: number;
  /** total ÷ the window's successful deployments; null without one. */
  perSuccessfulDeployment: number | null;
};

/** The daily cost of a deployment's service on its cluster, before and after it. @public */
export type DeploymentCostChange = {
  attemptId: string;
  serviceId: string;
  clusterId: string;
  buildVersion: string;
  /** When it ended (succeeded): its day is in neither side. */
  deployedAt: string;
  currency: string;
  before: { days: number; dailyMean: number | null };
  after: { days: number; dailyMean: number | null };
  /** after − before; null unless both sides have a day with figures. */
  change: number | null;
  changePercent: number | null;
  /** Another deployment of the pair ended within the days after. */
  overlapped: boolean;
};

/** `GET /clusters/{clusterId}/cost` and `GET /entities/…/cost`. @public */
export type CostResponse = {
  filter: {
    serviceId?: string;
    clusterId?: string;
    from: string;
    to: string;
    compareDays: number;
  };
  /** SUCCESS or LIVE attempts in scope that ended in the window. */
  successfulDeployments: number;
  currencies: CostInCurrency[];
  /**
   * The latest successful deployments in the window with figures after them,
   * newest first.
   */
  deployments: DeploymentCostChange[];
  definitions: Record<keyof typeof COST_DEFINITIONS, string>;
};

/** How each figure of a cost answer is computed, served with it. @public */
export const COST_DEFINITIONS = {
  days: 'The UTC days of the window (from its first day to the day of its exclusive end, minus one instant) with figures. A day sums every source; a source later sending the same service, cluster-region, day and currency replaces its earlier figure. Currencies are kept apart, never converted.',
  perSuccessfulDeployment:
    "The currency's total over the window ÷ the SUCCESS or LIVE attempts in the same scope that ended in the window; null when none did.",
  deployments:
    'For each of the latest successful deployments in the window that have a day with figures after them (at most 20 of the latest 200): the mean daily cost of its service on its cluster-region over the compareDays days before the day it ended and over the compareDays days after it (that day itself is in neither), counting the days with figures; change = after − before.',
} as const;
