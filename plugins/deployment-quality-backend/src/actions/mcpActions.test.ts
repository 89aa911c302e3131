import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import {
  ADMIN_USER,
  RealBackends,
  WEBHOOK_SECRET,
  startRealBackends,
} from '../__testUtils__/realBackends';

/**
 * The plugin's agent tools as an AI client meets them: the real MCP actions
 * backend serves the actions registry over MCP, and a real MCP client calls
 * them as alice, who reads only her team's Components, and as the admin.
 */

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const BASE = '/api/deployment-quality';
const MIRA = 'mira-us-west-2';
const AQUILA = 'aquila-us-east-1';

const component = (name: string, owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name },
  spec: { type: 'service', lifecycle: 'production', owner, system: 'shop' },
});

const ENTITIES: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-a' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-b' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'alice' },
    spec: { memberOf: ['team-a'] },
  },
  // Alice's team's System, holding her team's checkout and team b's ledger.
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'shop' },
    spec: { owner: 'team-a' },
  },
  component('checkout', 'team-a'),
  component('ledger', 'team-b'),
];

const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3_600_000).toISOString();

/** A webhook body: one suite's run of checkout 1.4.0 on mira, all passed. */
const suiteRun = (suiteType: string, total: number, executedAt: string) => ({
  source: 'ci',
  eventType: 'test-result',
  payload: {
    clusterId: MIRA,
    serviceId: 'checkout',
    buildVersion: '1.4.0',
    suiteType,
    total,
    passed: total,
    failed: 0,
    skipped: 0,
    durationSec: 60,
    executedAt,
  },
});

async function ingest(backends: RealBackends) {
  const events = [
    // checkout: 1.4.0 passed its gates on mira, failed on aquila.
    webhookDeployment({
      clusterId: MIRA,
      serviceId: 'checkout',
      buildVersion: '1.4.0',
      startedAt: hoursAgo(5),
      endedAt: hoursAgo(4.9),
    }),
    suiteRun('FUNCTIONAL', 120, hoursAgo(4.8)),
    suiteRun('SANITY', 30, hoursAgo(4.7)),
    webhookDeployment({
      clusterId: AQUILA,
      serviceId: 'checkout',
      buildVersion: '1.4.0',
      status: 'FAILED',
      failureReason: 'Readiness probe failed: HTTP 503 on /healthz',
      startedAt: hoursAgo(3),
      endedAt: hoursAgo(2.9),
    }),
    // ledger (team b): a failure alice may not see.
    webhookDeployment({
      clusterId: AQUILA,
      serviceId: 'ledger',
      buildVersion: '9.0.0',
      status: 'FAILED',
      failureReason: 'ImagePullBackOff: manifest unknown',
      startedAt: hoursAgo(1.5),
      endedAt: hoursAgo(1.4),
    }),
  ];
  await request(backends.server)
    .post(`${BASE}/ingest/webhook`)
    .set('X-Webhook-Secret', WEBHOOK_SECRET)
    .send({ events })
    .expect(202);
}

/** A real MCP client on the MCP actions backend, as `user`. */
async function mcpClientAs(backends: RealBackends, user: string) {
  const { port } = backends.server.address() as AddressInfo;
  const client = new Client({ name: 'dq-test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(
      new URL(`http://127.0.0.1:${port}/api/mcp-actions/v1`),
      {
        requestInit: {
          headers: { Authorization: mockCredentials.user.header(user) },
        },
      },
    ),
  );
  return client;
}

/** A tool's structured answer, or its error text. */
async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
) {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
  const text = result.content.map(c => c.text ?? '').join('');
  if (result.isError) return { error: text };
  return { output: result.structuredContent ?? JSON.parse(text) };
}

const databases = TestDatabases.create({ ids: testDatabaseIds() });

describe.each(databases.eachSupportedId())(
  'the agent tools over MCP on %p',
  databaseId => {
    let backends: RealBackends;
    let alice: Client;
    let admin: Client;
    beforeAll(async () => {
      backends = await startRealBackends({
        knex: await databases.init(databaseId),
        entities: ENTITIES,
        features: [
          mcpActionsPlugin,
          actionsRegistryServiceFactory,
          actionsServiceFactory,
        ],
      });
      await backends.waitForCatalog();
      await ingest(backends);
      alice = await mcpClientAs(backends, ALICE);
      admin = await mcpClientAs(backends, ADMIN_USER);
    });
    afterAll(async () => {
      await alice?.close();
      await admin?.close();
      await backends?.stop();
    });

    it('lists the read-only tools', async () => {
      const { tools } = await alice.listTools();
      const ours = tools
        .filter(t => t.name.startsWith('deployment-quality.'))
        .map(t => [t.name, t.annotations?.readOnlyHint]);
      expect(ours.sort()).toEqual([
        ['deployment-quality.check-promotion-gate', true],
        ['deployment-quality.get-deployment-status', true],
        ['deployment-quality.get-dora-metrics', true],
        ['deployment-quality.list-flaky-tests', true],
        ['deployment-quality.list-recent-failures', true],
      ]);
    });

    it('answers where a service runs, for a caller who may read it', async () => {
      const { output } = await call(
        alice,
        'deployment-quality.get-deployment-status',
        { entityRef: 'checkout' },
      );
      expect(output).toMatchObject({
        entityRef: 'component:default/checkout',
        serviceId: 'checkout',
      });
      const byCluster = Object.fromEntries(
        (output!.clusters as any[]).map(c => [
          c.clusterId,
          [c.currentVersion, c.latestAttempt.status],
        ]),
      );
      expect(byCluster).toEqual({
        [MIRA]: ['1.4.0', 'SUCCESS'],
        [AQUILA]: [null, 'FAILED'],
      });
    });

    it('answers "not found" for a service the caller may not read, as for a missing one', async () => {
      const hidden = await call(
        alice,
        'deployment-quality.get-deployment-status',
        { entityRef: 'component:default/ledger' },
      );
      const missing = await call(
        alice,
        'deployment-quality.get-deployment-status',
        { entityRef: 'component:default/nowhere' },
      );
      expect(hidden.error).toContain('No entity component:default/ledger');
      expect(missing.error).toContain('No entity component:default/nowhere');
      const seen = await call(
        admin,
        'deployment-quality.get-deployment-status',
        { entityRef: 'component:default/ledger' },
      );
      expect(seen.output).toMatchObject({ serviceId: 'ledger' });

      const gate = await call(
        alice,
        'deployment-quality.check-promotion-gate',
        {
          serviceId: 'ledger',
          buildVersion: '9.0.0',
          clusterId: AQUILA,
        },
      );
      expect(gate.error).toContain('No attempt of ledger 9.0.0');
    });

    it('tells whether a build may be promoted', async () => {
      const passed = await call(
        alice,
        'deployment-quality.check-promotion-gate',
        {
          serviceId: 'checkout',
          buildVersion: '1.4.0',
          clusterId: MIRA,
          toClusterId: AQUILA,
        },
      );
      expect(passed.output).toMatchObject({
        passed: true,
        attemptStatus: 'SUCCESS',
        toClusterId: AQUILA,
        reasons: [],
      });
      const failed = await call(
        alice,
        'deployment-quality.check-promotion-gate',
        { serviceId: 'checkout', buildVersion: '1.4.0', clusterId: AQUILA },
      );
      expect(failed.output).toMatchObject({
        passed: false,
        attemptStatus: 'FAILED',
      });
    });

    it('lists a service’s flaky tests, for a caller who may read it only', async () => {
      for (const serviceId of ['checkout', 'ledger']) {
        await request(backends.server)
          .post(
            `${BASE}/ingest/test-reports?clusterId=${AQUILA}&serviceId=${serviceId}&buildVersion=9.9.9`,
          )
          .set('X-Webhook-Secret', WEBHOOK_SECRET)
          .set('Content-Type', 'application/json')
          .send({
            results: {
              tool: { name: 'playwright' },
              summary: { stop: Date.now() - 60_000 },
              tests: [
                {
                  name: 'pays',
                  status: 'passed',
                  duration: 900,
                  suite: ['cart'],
                  retries: 1,
                  flaky: true,
                  message: 'socket hang up',
                },
              ],
            },
          })
          .expect(202);
      }
      const flaky = await call(alice, 'deployment-quality.list-flaky-tests', {
        entityRef: 'checkout',
      });
      expect(flaky.output).toMatchObject({
        entityRef: 'component:default/checkout',
        more: false,
        tests: [
          {
            suite: 'cart',
            name: 'pays',
            flakeRate: 1,
            evidence: [expect.objectContaining({ kind: 'retry' })],
          },
        ],
      });
      const hidden = await call(alice, 'deployment-quality.list-flaky-tests', {
        entityRef: 'ledger',
      });
      expect(hidden.error).toContain('No entity component:default/ledger');
      const admins = await call(admin, 'deployment-quality.list-flaky-tests', {
        entityRef: 'ledger',
      });
      expect((admins.output!.tests as unknown[]).length).toBe(1);
    });

    it('lists recent failures with their reasons, only of what the caller may see', async () => {
      const reasons = async (client: Client, args: Record<string, unknown>) =>
        (
          (await call(client, 'deployment-quality.list-recent-failures', args))
            .output!.failures as any[]
        ).map(f => [f.serviceId, f.failureReason]);
      expect(await reasons(alice, {})).toEqual([
        ['checkout', 'Readiness probe failed: HTTP 503 on /healthz'],
      ]);
      expect(await reasons(admin, {})).toEqual([
        ['ledger', 'ImagePullBackOff: manifest unknown'],
        ['checkout', 'Readiness probe failed: HTTP 503 on /healthz'],
      ]);
      expect(await reasons(admin, { hours: 2 })).toEqual([
        ['ledger', 'ImagePullBackOff: manifest unknown'],
      ]);
      expect(await reasons(admin, { entityRef: 'checkout' })).toEqual([
        ['checkout', 'Readiness probe failed: HTTP 503 on /healthz'],
      ]);
    });

    it('answers DORA figures for a service, a team and a system, counting only what the caller may read', async () => {
      const service = await call(alice, 'deployment-quality.get-dora-metrics', {
        entityRef: 'checkout',
      });
      expect(service.error).toBeUndefined();
      expect((service.output!.dora as any).samples.changeFailureRate).toEqual({
        failures: 1,
        finished: 2,
      });
      const team = await call(admin, 'deployment-quality.get-dora-metrics', {
        entityRef: 'group:default/team-b',
      });
      expect(team.error).toBeUndefined();
      expect((team.output!.dora as any).samples.changeFailureRate).toEqual({
        failures: 1,
        finished: 1,
      });
      const hiddenTeam = await call(
        alice,
        'deployment-quality.get-dora-metrics',
        { entityRef: 'group:default/team-b' },
      );
      expect(hiddenTeam.error).toContain('No entity group:default/team-b');
      // The System rolls up only the Components the caller may read.
      const shop = async (client: Client) =>
        (
          (
            await call(client, 'deployment-quality.get-dora-metrics', {
              entityRef: 'system:default/shop',
            })
          ).output!.dora as any
        ).samples.changeFailureRate;
      expect(await shop(alice)).toEqual({ failures: 1, finished: 2 });
      expect(await shop(admin)).toEqual({ failures: 2, finished: 3 });
    });
  },
);
