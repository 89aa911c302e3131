import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import techInsightsPlugin from '@backstage-community/plugin-tech-insights-backend';
import jsonRulesFactChecker from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import deploymentQualityPlugin from '@deployment-quality/plugin-deployment-quality-backend';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import techInsightsModuleDeploymentQualityFacts from './index';

/**
 * The facts as the real tech-insights backend stores and checks them: our
 * backend holds a few days of two services, the tech-insights backend runs
 * the retriever on its schedule, and the shipped example checks
 * (checks.example.yaml) run on the stored facts.
 */

jest.setTimeout(60_000);

const SECRET = 'tech-insights-test-secret-0123';
const DQ = '/api/deployment-quality';
const TI = '/api/tech-insights';

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});

const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3_600_000).toISOString();

/** A finished deployment as a webhook body. */
const deployment = (
  serviceId: string,
  clusterId: string,
  buildVersion: string,
  status: 'SUCCESS' | 'FAILED',
  hours: number,
) => ({
  source: 'ci',
  eventType: 'deployment',
  payload: {
    clusterId,
    serviceId,
    buildVersion,
    gitSha: 'abc1234',
    status,
    startedAt: hoursAgo(hours + 0.2),
    endedAt: hoursAgo(hours),
    commitAt: hoursAgo(hours + 1.2),
    trigger: 'merge',
  },
});

const examples = parse(
  readFileSync(join(__dirname, '..', 'checks.example.yaml'), 'utf8'),
);

describe('the Deployment & Quality facts in the tech-insights backend', () => {
  it('stores each Component’s facts and runs the example checks on them', async () => {
    const backend = await startTestBackend({
      features: [
        deploymentQualityPlugin,
        techInsightsPlugin,
        jsonRulesFactChecker,
        techInsightsModuleDeploymentQualityFacts,
        // The real scheduler: the retriever runs on its cadence, as deployed.
        schedulerServiceFactory,
        catalogServiceMock.factory({
          entities: [component('checkout'), component('ledger')],
        }),
        mockServices.rootConfig.factory({
          data: {
            deploymentQuality: {
              ingestion: {
                webhook: { keys: [{ name: 'ci', secret: SECRET }] },
              },
            },
            techInsights: {
              ...examples.techInsights,
              factRetrievers: {
                deploymentQualityFactRetriever: {
                  ...examples.techInsights.factRetrievers
                    .deploymentQualityFactRetriever,
                  // Every two seconds (the scheduler takes a seconds field).
                  cadence: '*/2 * * * * *',
                  initialDelay: { seconds: 1 },
                },
              },
            },
          },
        }),
      ],
    });
    const { server } = backend;
    try {
      // checkout: 3 successes and a failure, two versions running;
      // ledger: one success, one version.
      await request(server)
        .post(`${DQ}/ingest/webhook`)
        .set('X-Webhook-Secret', SECRET)
        .send({
          events: [
            deployment('checkout', 'mira-us-west-2', '1.0.0', 'SUCCESS', 50),
            deployment('checkout', 'aquila-us-east-1', '1.0.0', 'SUCCESS', 48),
            deployment('checkout', 'mira-us-west-2', '1.1.0', 'SUCCESS', 26),
            deployment('checkout', 'aquila-us-east-1', '1.1.0', 'FAILED', 24),
            deployment('ledger', 'mira-us-west-2', '2.0.0', 'SUCCESS', 10),
          ],
        })
        .expect(202);

      const latest = async (name: string) => {
        const res = await request(server)
          .get(`${TI}/facts/latest`)
          .query({
            entity: `component:default/${name}`,
            ids: 'deploymentQualityFactRetriever',
          })
          .expect(200);
        return res.body.deploymentQualityFactRetriever?.facts;
      };
      const deadline = Date.now() + 30_000;
      while (!(await latest('checkout')) && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 250));
      }
      expect(await latest('checkout')).toEqual({
        changeFailureRate: 0.25,
        deployments: 3,
        deploymentFrequencyPerDay: 0.1,
        leadTimeP50Min: 72,
        versionsRunning: 2,
        versionDrift: true,
      });
      expect(await latest('ledger')).toMatchObject({
        changeFailureRate: 0,
        deployments: 1,
        versionsRunning: 1,
        versionDrift: false,
      });

      const checks = async (name: string) => {
        const res = await request(server)
          .post(`${TI}/checks/run/default/component/${name}`)
          .send({})
          .expect(200);
        return Object.fromEntries(
          (res.body as any[]).map(r => [r.check.id, r.result]),
        );
      };
      // checkout fails the rate (25 %), the weekly deploys (0.1 a day)
      // and the drift; it ran no tests, so the gate check has no fact.
      expect(await checks('checkout')).toMatchObject({
        dqChangeFailureRate: false,
        dqDeploysWeekly: false,
        dqNoVersionDrift: false,
      });
      expect(await checks('ledger')).toMatchObject({
        dqChangeFailureRate: true,
        dqNoVersionDrift: true,
      });
    } finally {
      await backend.stop();
    }
  });
});
