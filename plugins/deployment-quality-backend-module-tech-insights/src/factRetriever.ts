import {
  FactRetriever,
  FactRetrieverContext,
  TechInsightFact,
} from '@backstage-community/plugin-tech-insights-node';
import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  ClusterSummaryResponse,
  ClustersResponse,
  DEFAULT_ANALYTICS_DAYS,
  LIST_LIMITS,
  ScorecardResponse,
} from '@deployment-quality/plugin-deployment-quality-common';

/** The retriever's id: `techInsights.factRetrievers.<id>` schedules it. */
export const DEPLOYMENT_QUALITY_FACT_RETRIEVER_ID =
  'deploymentQualityFactRetriever';

const DAY_MS = 86_400_000;

/** Reads the Deployment & Quality API as the tech-insights plugin itself. */
async function apiOf({ discovery, auth }: FactRetrieverContext) {
  const base = await discovery.getBaseUrl('deployment-quality');
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf: await auth.getOwnServiceCredentials(),
    targetPluginId: 'deployment-quality',
  });
  return async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  };
}

/**
 * How many versions each service runs across its cluster-regions: every
 * page of every cluster-region's services (a bounded number of requests
 * per run, LIST_LIMITS.max services each).
 */
async function versionsRunning(
  get: <T>(path: string) => Promise<T>,
): Promise<Map<string, Set<string>>> {
  const versions = new Map<string, Set<string>>();
  const { clusters } = await get<ClustersResponse>('/clusters');
  for (const cluster of clusters) {
    for (let offset = 0; ; offset += LIST_LIMITS.max) {
      const page = await get<ClusterSummaryResponse>(
        `/clusters/${encodeURIComponent(cluster.id)}/summary?limit=${
          LIST_LIMITS.max
        }&offset=${offset}`,
      );
      for (const s of page.services) {
        if (!s.currentVersion) continue;
        const running = versions.get(s.serviceId) ?? new Set<string>();
        running.add(s.currentVersion);
        versions.set(s.serviceId, running);
      }
      if (offset + LIST_LIMITS.max >= page.servicesPage.total) break;
    }
  }
  return versions;
}

/**
 * Facts per Component from Deployment & Quality, over the last 30 days:
 * DORA's change failure rate, deployment frequency, lead time and failed
 * deployment recovery time, the test gate pass rate, and how many versions
 * the service runs across its cluster-regions (version drift). A figure
 * without samples in the window is left out rather than reported as zero.
 * Only services linked to a catalog Component get facts.
 */
export const deploymentQualityFactRetriever: FactRetriever = {
  id: DEPLOYMENT_QUALITY_FACT_RETRIEVER_ID,
  version: '0.1.0',
  title: 'Deployment & Quality',
  description:
    'DORA figures, gate pass rate and version drift of each Component, over the last 30 days',
  entityFilter: [{ kind: 'component' }],
  schema: {
    changeFailureRate: {
      type: 'float',
      description:
        '(FAILED + ROLLBACK) / finished deployment attempts, 0 to 1, last 30 days',
    },
    deploymentFrequencyPerDay: {
      type: 'float',
      description: 'Successful deployments per day, last 30 days',
    },
    leadTimeP50Min: {
      type: 'float',
      description: 'Median lead time for changes, in minutes, last 30 days',
    },
    failedDeploymentRecoveryTimeP50Min: {
      type: 'float',
      description:
        'Median failed deployment recovery time, in minutes, last 30 days',
    },
    gatePassRate: {
      type: 'float',
      description: 'Σpassed / Σtotal × 100 over its test runs, last 30 days',
    },
    deployments: {
      type: 'integer',
      description: 'Successful deployments in the last 30 days',
    },
    versionsRunning: {
      type: 'integer',
      description: 'Distinct versions running across its cluster-regions',
    },
    versionDrift: {
      type: 'boolean',
      description: 'Its cluster-regions run more than one version',
    },
  },
  async handler(context) {
    const get = await apiOf(context);
    const to = new Date();
    const from = new Date(to.getTime() - DEFAULT_ANALYTICS_DAYS * DAY_MS);
    const [card, versions] = await Promise.all([
      get<ScorecardResponse>(
        `/scorecard?from=${from.toISOString()}&to=${to.toISOString()}`,
      ),
      versionsRunning(get),
    ]);
    const facts: TechInsightFact[] = [];
    for (const row of card.services) {
      if (!row.entityRef) continue;
      const { kind, namespace, name } = parseEntityRef(row.entityRef);
      const m = row.metrics;
      const known = Object.entries({
        changeFailureRate: m.changeFailureRate,
        leadTimeP50Min: m.leadTimeP50Min,
        failedDeploymentRecoveryTimeP50Min:
          m.failedDeploymentRecoveryTimeP50Min,
        gatePassRate: m.gatePassRate,
      }).filter(([, v]) => v !== null);
      const running = versions.get(row.serviceId)?.size ?? 0;
      facts.push({
        entity: { kind, namespace, name },
        facts: {
          ...Object.fromEntries(known),
          deployments: m.deploys,
          deploymentFrequencyPerDay:
            Math.round((m.deploys / DEFAULT_ANALYTICS_DAYS) * 1000) / 1000,
          versionsRunning: running,
          versionDrift: running > 1,
        },
      });
    }
    return facts;
  },
};
