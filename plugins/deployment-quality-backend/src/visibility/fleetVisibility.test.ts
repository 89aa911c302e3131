import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { SERVICE_ID_ANNOTATION } from '@deployment-quality/plugin-deployment-quality-common';
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
 * A fleet in the real catalog and permission backends: 2,000 services of 20
 * teams on three cluster-regions, under a policy where a user reads only the
 * Components their team owns. Every cluster-wide route answers alice with
 * exactly her team's services (and the services no Component claims), in
 * its lists and in its aggregates, and the admin with all of them. The
 * expected figures come from the generated fleet, not from the API.
 */

jest.setTimeout(300_000);

const SERVICES = Number(process.env.DQ_FLEET_SERVICES ?? 2000);
const TEAMS = 20;
const ALICE_TEAM = 7;
const ALICE = 'user:default/alice';
const CLUSTERS = ['mira-us-west-2', 'pavo-us-east-1', 'aquila-eu-west-1'];
const BASE = '/api/deployment-quality';

/** Every tenth service reports under an annotation, not its name. */
const serviceIdOf = (i: number) =>
  i % 10 === 0 ? `sid-${i}` : `svc-${String(i).padStart(4, '0')}`;
const teamOf = (i: number) => i % TEAMS;
/** Services whose latest attempt on a cluster failed. */
const failsOn = (i: number, c: number) => (i + c) % 9 === 0;
/** Deployments sent as hotfixes: rework, in the DORA figures. */
const hotfixOn = (i: number, c: number) => (i + c) % 7 === 0;
/** Services another tool sent a scorecard for. */
const scoredByOthers = (i: number) => i % 5 === 0;
/** What a service cost on the first cluster-region yesterday, in USD. */
const costOf = (i: number) => (i % 7) + 1.25;
/** Components of the payments System: some of alice's team, some of team 1. */
const inPayments = (i: number) => i % 100 === ALICE_TEAM || i % 100 === 1;
/** Services that report without any Component: everyone with the plugin's permission sees them. */
const ORPHANS = ['orphan-1', 'orphan-2'];

function fleetEntities(): Entity[] {
  const entities: Entity[] = [];
  for (let t = 0; t < TEAMS; t++) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: `team-${t}` },
      spec: { type: 'team', children: [] },
    });
  }
  entities.push({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'alice' },
    spec: { memberOf: [`team-${ALICE_TEAM}`] },
  });
  for (let i = 0; i < SERVICES; i++) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: `svc-${String(i).padStart(4, '0')}`,
        ...(i % 10 === 0
          ? { annotations: { [SERVICE_ID_ANNOTATION]: serviceIdOf(i) } }
          : {}),
      },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: `team-${teamOf(i)}`,
        ...(inPayments(i) ? { system: 'payments' } : {}),
      },
    });
  }
  // Alice's team owns the payments System, whose Components belong to her
  // team and to team 1.
  entities.push({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'payments' },
    spec: { owner: `team-${ALICE_TEAM}` },
  });
  // Alice's team owns a System named like another team's service: it must
  // not open that service's data.
  entities.push({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: serviceIdOf(1) },
    spec: { owner: `team-${ALICE_TEAM}` },
  });
  return entities;
}

type Expected = {
  services: string[];
  attempts: number;
  rework: number;
  scoredByOthers: number;
  perCluster: Map<string, { services: number; attention: number }>;
  /** The first cluster-region's cost and successful deployments. */
  cost: { total: number; services: number; deployed: number };
};

function expectedFor(visible: (i: number) => boolean): Expected {
  const services = [...ORPHANS];
  const perCluster = new Map(
    CLUSTERS.map(c => [c, { services: ORPHANS.length, attention: 0 }]),
  );
  let attempts = ORPHANS.length * CLUSTERS.length;
  let rework = 0;
  let scored = 0;
  const cost = { total: 0, services: 0, deployed: ORPHANS.length };
  for (let i = 0; i < SERVICES; i++) {
    if (!visible(i)) continue;
    services.push(serviceIdOf(i));
    cost.total += costOf(i);
    cost.services++;
    if (!failsOn(i, 0)) cost.deployed++;
    attempts += CLUSTERS.length;
    if (scoredByOthers(i)) scored++;
    for (const [ci, c] of CLUSTERS.entries()) {
      const summary = perCluster.get(c)!;
      summary.services++;
      if (failsOn(i, ci)) summary.attention++;
      if (hotfixOn(i, ci)) rework++;
    }
  }
  return {
    services: services.sort(),
    attempts,
    rework,
    scoredByOthers: scored,
    perCluster,
    cost,
  };
}

async function ingestFleet(backends: RealBackends) {
  const events: object[] = [];
  const ids = [
    ...Array.from({ length: SERVICES }, (_, i) => serviceIdOf(i)),
    ...ORPHANS,
  ];
  ids.forEach((serviceId, i) =>
    CLUSTERS.forEach((clusterId, ci) =>
      events.push(
        webhookDeployment({
          serviceId,
          clusterId,
          runNumber: 1,
          status: failsOn(i, ci) && i < SERVICES ? 'FAILED' : 'SUCCESS',
          trigger: hotfixOn(i, ci) && i < SERVICES ? 'hotfix' : 'merge',
          // Inside every default window: the last day.
          startedAt: new Date(Date.now() - 3_600_000).toISOString(),
          endedAt: new Date(Date.now() - 3_000_000).toISOString(),
        }),
      ),
    ),
  );
  for (let i = 0; i < SERVICES; i++) {
    if (!scoredByOthers(i)) continue;
    events.push({
      source: 'soundcheck',
      eventType: 'scorecard',
      payload: {
        serviceId: serviceIdOf(i),
        name: 'soundcheck',
        score: 3,
        maxScore: 4,
      },
    });
  }
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  for (let i = 0; i < SERVICES; i++) {
    events.push({
      source: 'finops-export',
      eventType: 'cost',
      payload: {
        serviceId: serviceIdOf(i),
        clusterId: CLUSTERS[0],
        date: yesterday.slice(0, 10),
        amount: costOf(i),
        currency: 'USD',
      },
    });
  }
  // A cluster-region's own validation: no service's, so everyone's.
  events.push({
    source: 'nightly-cron',
    eventType: 'cluster-test-result',
    payload: {
      clusterId: CLUSTERS[0],
      suite: 'conformance',
      total: 10,
      passed: 9,
      failed: 1,
      skipped: 0,
      durationSec: 60,
    },
  });
  for (let i = 0; i < events.length; i += 500) {
    await request(backends.server)
      .post(`${BASE}/ingest/webhook`)
      .set('X-Webhook-Secret', WEBHOOK_SECRET)
      .send({ events: events.slice(i, i + 500) })
      .expect(202);
  }
  // A rejected event about one of alice's services and one about another
  // team's service.
  for (const serviceId of [serviceIdOf(ALICE_TEAM), serviceIdOf(1)]) {
    await request(backends.server)
      .post(`${BASE}/ingest/webhook`)
      .set('X-Webhook-Secret', WEBHOOK_SECRET)
      .send(webhookDeployment({ serviceId, status: 'NOPE' }))
      .expect(400);
  }
}

const databases = TestDatabases.create({ ids: testDatabaseIds() });

describe.each(databases.eachSupportedId())(
  'a fleet of %p services',
  databaseId => {
    let backends: RealBackends;
    beforeAll(async () => {
      backends = await startRealBackends({
        knex: await databases.init(databaseId),
        entities: fleetEntities(),
      });
      await backends.waitForCatalog({ timeoutMs: 240_000 });
      await ingestFleet(backends);
    });
    afterAll(() => backends?.stop());

    const as = (user: string) => (path: string) =>
      request(backends.server)
        .get(`${BASE}${path}`)
        .set(backends.userHeader(user));
    const callers = [
      {
        name: 'alice, who reads only her team’s Components',
        get: as(ALICE),
        expected: () => expectedFor(i => teamOf(i) === ALICE_TEAM),
      },
      {
        name: 'the admin, who reads every Component',
        get: as(ADMIN_USER),
        expected: () => expectedFor(() => true),
      },
    ];

    it.each(callers)(
      'lists and counts exactly what $name may see',
      async ({ get, expected }) => {
        const want = expected();

        // Every page of the services, by id.
        const listed: string[] = [];
        for (let offset = 0; ; offset += 500) {
          const page = await get(`/services?limit=500&offset=${offset}`).expect(
            200,
          );
          expect(page.body.servicesPage).toEqual({
            offset,
            limit: 500,
            total: want.services.length,
          });
          listed.push(...page.body.services.map((s: any) => s.serviceId));
          if (page.body.services.length < 500) break;
        }
        // Each once (pages neither repeat nor skip), whatever the collation.
        expect(listed.sort()).toEqual([...want.services].sort());

        const clusters = await get('/clusters').expect(200);
        for (const cluster of CLUSTERS) {
          const { summary, validations } = clusters.body.clusters.find(
            (c: any) => c.id === cluster,
          );
          expect({ cluster, ...summary }).toMatchObject({
            cluster,
            services: want.perCluster.get(cluster)!.services,
            attention: want.perCluster.get(cluster)!.attention,
          });
          expect({ cluster, validations }).toEqual({
            cluster,
            validations:
              cluster === CLUSTERS[0]
                ? { suites: 1, failing: 1 }
                : { suites: 0, failing: 0 },
          });
        }

        let total = 0;
        for (const cluster of CLUSTERS) {
          // Every page of the cluster's services: what needs attention first.
          const { services: count, attention } = want.perCluster.get(cluster)!;
          const onCluster: any[] = [];
          for (let offset = 0; ; offset += 500) {
            const summary = await get(
              `/clusters/${cluster}/summary?limit=500&offset=${offset}`,
            ).expect(200);
            expect(summary.body.servicesPage).toEqual({
              offset,
              limit: 500,
              total: count,
            });
            onCluster.push(...summary.body.services);
            if (offset === 0) total += summary.body.summary.totalAttempts;
            if (summary.body.services.length < 500) break;
          }
          expect(onCluster.map(s => s.serviceId).sort()).toEqual(want.services);
          const failing = (s: any) =>
            ['FAILED', 'ROLLBACK'].includes(s.latestAttempt.status);
          expect(onCluster.slice(0, attention).every(failing)).toBe(true);
          expect(onCluster.slice(attention).some(failing)).toBe(false);
        }
        expect(total).toBe(want.attempts);

        // A search finds a service by id, among the visible ones only.
        const one = serviceIdOf(1);
        const found = await get(
          `/clusters/${CLUSTERS[0]}/summary?q=${one.toUpperCase()}`,
        ).expect(200);
        expect(found.body.services.map((s: any) => s.serviceId)).toEqual(
          want.services.includes(one) ? [one] : [],
        );

        // Every page of a cluster's attempts, newest first.
        const seen = new Set<string>();
        let cursor: string | undefined;
        do {
          const page = await get(
            `/clusters/${CLUSTERS[0]}/attempts?limit=500${
              cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
            }`,
          ).expect(200);
          page.body.attempts.forEach((a: any) => seen.add(a.serviceId));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect([...seen].sort()).toEqual(want.services);

        // Every page of every cluster's attempts: each visible one once.
        const fleetSeen = new Set<string>();
        let attempts = 0;
        cursor = undefined;
        do {
          const page: { body: any } = await get(
            `/attempts?limit=500${
              cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
            }`,
          ).expect(200);
          page.body.attempts.forEach((a: any) => fleetSeen.add(a.id));
          attempts += page.body.attempts.length;
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(attempts).toBe(want.attempts);
        expect(fleetSeen.size).toBe(want.attempts);

        const analytics = await get('/analytics').expect(200);
        const { success, failed, rollback } = analytics.body.buildAttempts;
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        expect(sum(success) + sum(failed) + sum(rollback)).toBe(want.attempts);
        // Rework counts the caller's services only, like every figure.
        expect(analytics.body.dora.samples.deploymentReworkRate).toMatchObject({
          rework: want.rework,
          finished: want.attempts,
        });

        const scorecard = await get('/scorecard').expect(200);
        expect(
          scorecard.body.services.map((s: any) => s.serviceId).sort(),
        ).toEqual(want.services);
        expect(
          scorecard.body.services.filter((s: any) => s.external.length > 0),
        ).toHaveLength(want.scoredByOthers);
        const csv = await get('/scorecard/csv').expect(200);
        expect(csv.text.trim().split('\r\n')).toHaveLength(
          want.services.length + 1,
        );

        // The first cluster-region's bill: the caller's services only.
        const cost = await get(`/clusters/${CLUSTERS[0]}/cost`).expect(200);
        expect(cost.body.successfulDeployments).toBe(want.cost.deployed);
        expect(cost.body.currencies).toEqual([
          expect.objectContaining({
            currency: 'USD',
            total: want.cost.total,
            breakdownCount: want.cost.services,
            perSuccessfulDeployment:
              Math.round((want.cost.total * 1e6) / want.cost.deployed) / 1e6,
          }),
        ]);
      },
    );

    it('answers alice 404 for every route of another team’s service, as for a missing one', async () => {
      const alice = as(ALICE);
      const admin = as(ADMIN_USER);
      const hidden = serviceIdOf(1);
      const own = serviceIdOf(ALICE_TEAM);
      const attemptOf = (serviceId: string) =>
        encodeURIComponent(`${CLUSTERS[0]}:${serviceId}:3.4.3:1`);
      const gatesOf = (serviceId: string) =>
        `/gates?serviceId=${serviceId}&clusterId=${CLUSTERS[0]}&buildVersion=3.4.3`;

      for (const path of [
        `/builds/${attemptOf(hidden)}`,
        gatesOf(hidden),
        `/services/${hidden}/attempts`,
        `/analytics?serviceId=${hidden}`,
        `/entities/default/component/${hidden}/summary`,
        `/entities/default/component/${hidden}/attempts`,
        `/entities/default/component/${hidden}/external-scorecards`,
        `/entities/default/component/${hidden}/cost`,
        // A System named like the service, which alice's team owns.
        `/entities/default/system/${hidden}/summary`,
      ]) {
        const res = await alice(path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
      const missing = await alice(`/builds/${attemptOf('no-such-service')}`);
      const hiddenBuild = await alice(`/builds/${attemptOf(hidden)}`);
      expect(hiddenBuild.body.error.message).toBe(
        missing.body.error.message.replace('no-such-service', hidden),
      );

      for (const path of [
        `/builds/${attemptOf(own)}`,
        gatesOf(own),
        `/services/${own}/attempts`,
        `/entities/default/component/${own}/summary`,
        `/entities/default/component/${own}/external-scorecards`,
        `/entities/default/component/${own}/cost`,
      ]) {
        const res = await alice(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
      await admin(`/builds/${attemptOf(hidden)}`).expect(200);
      await admin(`/entities/default/component/${hidden}/summary`).expect(200);
      // Not even the admin opens a service through a System.
      await admin(`/entities/default/system/${hidden}/summary`).expect(404);
    });

    it('rolls a System and a Group up to the services the caller may read', async () => {
      const members = (keep: (i: number) => boolean) =>
        Array.from({ length: SERVICES }, (_, i) => i)
          .filter(i => inPayments(i) && keep(i))
          .map(serviceIdOf)
          .sort();
      const rollupOf = async (user: string, path: string) =>
        (await as(user)(path).expect(200)).body;
      const ids = (body: any) =>
        body.services.map((s: any) => s.serviceId).sort();

      const forAlice = await rollupOf(
        ALICE,
        '/entities/default/system/payments/rollup',
      );
      const hers = members(i => teamOf(i) === ALICE_TEAM);
      expect(ids(forAlice)).toEqual(hers);
      expect(forAlice.scorecard.map((r: any) => r.serviceId).sort()).toEqual(
        hers,
      );
      expect(forAlice.services[0].clusters).toHaveLength(CLUSTERS.length);
      const failing = (keep: (i: number) => boolean) =>
        Array.from({ length: SERVICES }, (_, i) => i)
          .filter(i => inPayments(i) && keep(i))
          .reduce(
            (n, i) => n + CLUSTERS.filter((_, c) => failsOn(i, c)).length,
            0,
          );
      expect(forAlice.attention).toBe(failing(i => teamOf(i) === ALICE_TEAM));

      const forAdmin = await rollupOf(
        ADMIN_USER,
        '/entities/default/system/payments/rollup',
      );
      expect(ids(forAdmin)).toEqual(members(() => true));
      expect(forAdmin.attention).toBe(failing(() => true));

      const team = await rollupOf(
        ADMIN_USER,
        '/entities/default/group/team-1/rollup',
      );
      expect(team.services).toHaveLength(SERVICES / TEAMS);
      expect(team.truncated).toBe(false);
      // Alice may not read a Group (no one owns it) nor a Component's roll-up.
      await as(ALICE)('/entities/default/group/team-1/rollup').expect(404);
      await as(ADMIN_USER)(
        `/entities/default/component/${serviceIdOf(1)}/rollup`,
      ).expect(404);
    });

    it('shows alice the rejected events of her services only', async () => {
      const rejectedOf = async (user: string) =>
        (
          await as(user)('/diagnostics/rejected-events').expect(200)
        ).body.events.map((e: any) => e.serviceId);
      expect(await rejectedOf(ALICE)).toEqual([serviceIdOf(ALICE_TEAM)]);
      expect((await rejectedOf(ADMIN_USER)).sort()).toEqual(
        [serviceIdOf(1), serviceIdOf(ALICE_TEAM)].sort(),
      );
    });

    it('counts failure signatures, flaky tests and quarantine over the services alice may read only', async () => {
      const hidden = serviceIdOf(1);
      const own = serviceIdOf(ALICE_TEAM);
      const report = (serviceId: string, message: string) =>
        request(backends.server)
          .post(
            `${BASE}/ingest/test-reports?clusterId=${CLUSTERS[0]}&serviceId=${serviceId}&buildVersion=3.4.3`,
          )
          .set('X-Webhook-Secret', WEBHOOK_SECRET)
          .set('Content-Type', 'application/xml')
          .send(
            `<testsuite name="api" timestamp="${new Date(
              Date.now() - 1_800_000,
            ).toISOString()}"><testcase classname="Pay" name="charges"><failure message="${message}"/></testcase></testsuite>`,
          )
          .expect(202);
      await report(hidden, 'gateway timeout after 3001 ms');
      await report(own, 'gateway timeout after 2999 ms');
      await report(hidden, 'only the hidden service fails like this 42');

      const signaturesOf = async (user: string) =>
        (await as(user)('/tests/signatures').expect(200)).body.signatures;
      const adminSees = await signaturesOf(ADMIN_USER);
      const shared = adminSees.find(
        (s: any) => s.signature === 'gateway timeout after <n> ms',
      );
      expect(shared).toMatchObject({ attempts: 2, services: 2, failures: 2 });
      const secret = adminSees.find((s: any) =>
        /only the hidden/.test(s.signature),
      );
      expect(secret).toMatchObject({ services: 1 });

      expect(await signaturesOf(ALICE)).toEqual([
        expect.objectContaining({
          signature: 'gateway timeout after <n> ms',
          attempts: 1,
          services: 1,
          failures: 1,
          topServices: [{ serviceId: own, attempts: 1 }],
        }),
      ]);
      const occurrences = await as(ALICE)(
        `/tests/signatures/${shared.signatureId}`,
      ).expect(200);
      expect(occurrences.body.occurrences.map((o: any) => o.serviceId)).toEqual(
        [own],
      );
      // A signature only a hidden service has is as missing as none.
      await as(ALICE)(`/tests/signatures/${secret.signatureId}`).expect(404);
      await as(ADMIN_USER)(`/tests/signatures/${secret.signatureId}`).expect(
        200,
      );
      for (const path of ['tests/flaky', 'tests/quarantine']) {
        await as(ALICE)(`/entities/default/component/${hidden}/${path}`).expect(
          404,
        );
        await as(ALICE)(`/entities/default/component/${own}/${path}`).expect(
          200,
        );
      }
    });

    // Last: it writes to the fleet.
    it('answers a no-cache read (a live reload) as of the latest write, still with only what alice may see', async () => {
      const hidden = serviceIdOf(1);
      const own = serviceIdOf(ALICE_TEAM);
      const fresh = (user: string) => (path: string) =>
        as(user)(path).set('Cache-Control', 'no-cache').expect(200);
      const attention = async (user: string, headers = {}) =>
        (
          await as(user)('/clusters').set(headers).expect(200)
        ).body.clusters.find((c: any) => c.id === CLUSTERS[0]).summary
          .attention;
      const before = {
        alice: await attention(ALICE),
        admin: await attention(ADMIN_USER),
      };
      // Both healthy on the first cluster-region until now.
      expect([failsOn(1, 0), failsOn(ALICE_TEAM, 0)]).toEqual([false, false]);
      for (const serviceId of [hidden, own]) {
        await request(backends.server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', WEBHOOK_SECRET)
          .send(
            webhookDeployment({
              serviceId,
              clusterId: CLUSTERS[0],
              buildVersion: `fresh-${serviceId}`,
              status: 'FAILED',
              runNumber: 2,
              startedAt: new Date(Date.now() - 60_000).toISOString(),
              endedAt: new Date(Date.now() - 30_000).toISOString(),
            }),
          )
          .expect(202);
      }
      const NO_CACHE = { 'Cache-Control': 'no-cache' };
      expect({
        alice: await attention(ALICE, NO_CACHE),
        admin: await attention(ADMIN_USER, NO_CACHE),
      }).toEqual({ alice: before.alice + 1, admin: before.admin + 2 });

      const versions = (body: any) =>
        body.attempts.map((a: any) => a.buildVersion);
      for (const path of [
        `/clusters/${CLUSTERS[0]}/attempts?limit=20`,
        '/attempts?status=FAILED&limit=20',
      ]) {
        const alice = versions((await fresh(ALICE)(path)).body);
        expect({ path, first: alice[0] }).toEqual({
          path,
          first: `fresh-${own}`,
        });
        expect(alice).not.toContain(`fresh-${hidden}`);
        expect(versions((await fresh(ADMIN_USER)(path)).body)).toEqual(
          expect.arrayContaining([`fresh-${own}`, `fresh-${hidden}`]),
        );
      }
      const summary = (
        await fresh(ALICE)(`/clusters/${CLUSTERS[0]}/summary?q=${own}`)
      ).body.services;
      expect(summary.map((x: any) => x.latestAttempt.buildVersion)).toEqual([
        `fresh-${own}`,
      ]);
      await fresh(ALICE)(`/clusters/${CLUSTERS[0]}/summary?q=${hidden}`).then(
        res => expect(res.body.services).toEqual([]),
      );
    });
  },
);
