import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { afterRetention, daysAgo } from '../__testUtils__/retention';
import { webhookDeployment } from '../__testUtils__/events';
import { ExternalScorecards } from '../database/ExternalScorecards';
import { BASE, startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const scorecard = (
  payload: Record<string, unknown>,
  eventId?: string,
): Record<string, unknown> => ({
  source: 'soundcheck',
  eventType: 'scorecard',
  ...(eventId ? { eventId } : {}),
  payload: {
    serviceId: 'authn',
    name: 'soundcheck: production readiness',
    score: 8,
    maxScore: 10,
    measuredAt: '2026-02-24T06:00:00.000Z',
    ...payload,
  },
});

const ENTITY = `${BASE}/entities/default/component/authentication`;

describe.each(databases.eachSupportedId())(
  'external scorecards (scorecard events) on %p',
  (databaseId: TestDatabaseId) => {
    it('stores a valid one once, refuses an invalid one naming the field, and shows them beside our score', async () => {
      const { server, knex, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      const stored = async () =>
        Number(
          (await knex('dq_external_scorecards').count({ n: '*' }).first())?.n,
        );
      try {
        await send(webhookDeployment()).expect(202);
        const first = await send(
          scorecard(
            {
              url: 'https://soundcheck.example.com/authn',
              checks: [
                { name: 'has runbook', passed: true },
                {
                  name: 'alerts routed',
                  passed: false,
                  url: 'https://soundcheck.example.com/authn/alerts',
                },
              ],
            },
            'sc-1',
          ),
        ).expect(202);
        expect(first.body).toMatchObject({ status: 'stored' });
        expect(first.body.duplicate).toBeUndefined();
        const again = await send(scorecard({}, 'sc-1')).expect(202);
        expect(again.body).toMatchObject({ duplicate: true });
        expect(await stored()).toBe(1);

        for (const [payload, path] of [
          [{ score: 11 }, 'payload.score'],
          [{ maxScore: 0 }, 'payload.maxScore'],
          [{ score: -1 }, 'payload.score'],
          [{ name: '' }, 'payload.name'],
          [{ serviceId: 'bad/id' }, 'payload.serviceId'],
          [{ url: 'ftp://example.com' }, 'payload.url'],
          [{ checks: [{ name: 'x' }] }, 'payload.checks[0].passed'],
          [
            {
              checks: Array.from({ length: 101 }, (_, i) => ({
                name: `c${i}`,
                passed: true,
              })),
            },
            'payload.checks',
          ],
          [{ measuredAt: '2099-01-01T00:00:00.000Z' }, 'payload.measuredAt'],
        ] as const) {
          const bad = await send(scorecard(payload)).expect(400);
          expect(JSON.stringify(bad.body)).toContain(path);
        }
        expect(await stored()).toBe(1);

        // A newer measurement, an older one arriving last, another tool.
        await send(
          scorecard({ score: 9, measuredAt: '2026-02-25T06:00:00.000Z' }),
        ).expect(202);
        await send(
          scorecard({ score: 5, measuredAt: '2026-02-20T06:00:00.000Z' }),
        ).expect(202);
        await send(
          scorecard({
            name: 'snyk: security',
            score: 62,
            maxScore: 100,
            measuredAt: '2026-02-23T00:00:00.000Z',
          }),
        ).expect(202);

        const res = await request(server)
          .get(`${ENTITY}/external-scorecards`)
          .expect(200);
        expect(res.body.scorecards.map((s: any) => s.name)).toEqual([
          // Most recently measured first.
          'soundcheck: production readiness',
          'snyk: security',
        ]);
        const [soundcheck] = res.body.scorecards;
        expect(soundcheck.latest).toEqual({
          name: 'soundcheck: production readiness',
          score: 9,
          maxScore: 10,
          percent: 90,
          measuredAt: '2026-02-25T06:00:00.000Z',
          checks: [],
        });
        expect(soundcheck.history).toEqual([
          { measuredAt: '2026-02-20T06:00:00.000Z', percent: 50 },
          { measuredAt: '2026-02-24T06:00:00.000Z', percent: 80 },
          { measuredAt: '2026-02-25T06:00:00.000Z', percent: 90 },
        ]);

        const card = await request(server)
          .get(`${BASE}/scorecard?from=2026-02-01&to=2026-02-28`)
          .expect(200);
        const authn = card.body.services.find(
          (s: any) => s.serviceId === 'authn',
        );
        expect(authn.external).toEqual([
          {
            name: 'soundcheck: production readiness',
            score: 9,
            maxScore: 10,
            percent: 90,
            measuredAt: '2026-02-25T06:00:00.000Z',
          },
          {
            name: 'snyk: security',
            score: 62,
            maxScore: 100,
            percent: 62,
            measuredAt: '2026-02-23T00:00:00.000Z',
          },
        ]);
        // Beside our score, not in it: the same score as without them.
        expect(authn.score).toEqual(expect.any(Number));
        await request(server)
          .get(`${BASE}/entities/default/component/ghost/external-scorecards`)
          .expect(404);
      } finally {
        await stop();
      }
    });

    it('sends the fleet scorecard as one kept answer, until a tool’s scorecard arrives', async () => {
      // Fleet answers may otherwise be served a while after a write.
      const { server, stop, send } = await startPluginBackend(
        databases,
        databaseId,
        { config: { analytics: { maxStaleSeconds: 0 } } },
      );
      const read = () =>
        request(server)
          .get(`${BASE}/scorecard?from=2026-02-01&to=2026-02-28`)
          .expect(200);
      const externalOf = (res: request.Response) =>
        res.body.services
          .find((s: any) => s.serviceId === 'authn')
          .external.map((e: any) => [e.name, e.percent]);
      try {
        await send(webhookDeployment()).expect(202);
        await send(scorecard({}, 'sc-a')).expect(202);
        const first = await read();
        expect(externalOf(first)).toEqual([
          ['soundcheck: production readiness', 80],
        ]);
        // Nothing written since: the same bytes, so the same ETag.
        const again = await read();
        expect(again.headers.etag).toBe(first.headers.etag);

        await send(
          scorecard(
            { name: 'snyk: security', score: 40, maxScore: 50 },
            'sc-b',
          ),
        ).expect(202);
        const after = await read();
        expect(externalOf(after)).toEqual([
          // Measured at the same time: by name.
          ['snyk: security', 80],
          ['soundcheck: production readiness', 80],
        ]);
        expect(after.headers.etag).not.toBe(first.headers.etag);
      } finally {
        await stop();
      }
    });

    it('keeps each name’s newest measurement through retention, whatever its age', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      for (const [name, age] of [
        ['soundcheck', 200],
        ['soundcheck', 5],
        ['snyk', 150],
        ['snyk', 120],
      ] as const) {
        await store.ingest({
          eventId: `${name}-${age}`,
          eventType: 'scorecard',
          source: 'test',
          receivedAt: daysAgo(age),
          payload: {
            serviceId: 'authn',
            name,
            score: 1,
            maxScore: 2,
            measuredAt: daysAgo(age),
          },
        });
      }
      const { deleted, kept } = await afterRetention(store, knex, {
        days: 30,
        table: 'dq_external_scorecards',
        key: 'name',
        time: 'measured_at',
      });
      expect(deleted.externalScorecards).toBe(2);
      expect(kept).toEqual([
        ['snyk', 120],
        ['soundcheck', 5],
      ]);
    });

    it('answers a fleet’s rows as it answers a page of them', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      for (const [serviceId, name, score] of [
        ['svc-7', 'soundcheck', 3],
        ['svc-7', 'snyk', 70],
        ['svc-599', 'snyk', 90],
        ['not-asked', 'snyk', 10],
      ] as const) {
        await store.ingest({
          eventId: `${serviceId}-${name}`,
          eventType: 'scorecard',
          source: 'test',
          receivedAt: '2026-02-24T06:00:00.000Z',
          payload: {
            serviceId,
            name,
            score,
            maxScore: name === 'snyk' ? 100 : 5,
            measuredAt: `2026-02-2${name === 'snyk' ? 4 : 3}T06:00:00.000Z`,
          },
        });
      }
      const external = new ExternalScorecards(knex);
      const fleet = Array.from({ length: 600 }, (_, i) => `svc-${i}`);
      const page = ['svc-7', 'svc-599', 'svc-1'];
      const [forFleet, forPage] = await Promise.all([
        external.latestFor(fleet),
        external.latestFor(page),
      ]);
      expect([...forFleet.entries()]).toEqual([...forPage.entries()]);
      expect(forPage.get('svc-7')?.map(e => [e.name, e.percent])).toEqual([
        ['snyk', 70],
        ['soundcheck', 60],
      ]);
      expect(forFleet.has('not-asked')).toBe(false);
    });
  },
);
