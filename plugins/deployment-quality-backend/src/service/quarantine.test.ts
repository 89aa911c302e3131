import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { permissionsWithoutPluginOnes } from '../__testUtils__/permissions';
import { webhookDeployment } from '../__testUtils__/events';
import {
  BASE,
  LogLine,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const ENTITY = `${BASE}/entities/default/component/authentication`;
const GATE = `${BASE}/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3`;

/** A FUNCTIONAL report of ten tests, the named ones failing. */
const report = (failing: string[]) =>
  `<testsuite name="api" timestamp="2026-02-24T09:20:00Z">${Array.from(
    { length: 10 },
    (_, i) => `t${i}`,
  )
    .map(
      name =>
        `<testcase classname="Cart" name="${name}">${
          failing.includes(name) ? '<failure message="boom"/>' : ''
        }</testcase>`,
    )
    .join('')}</testsuite>`;

describe.each(databases.eachSupportedId())(
  'test quarantine on %p',
  (databaseId: TestDatabaseId) => {
    it('sets quarantined failures apart from the gate, from config and from the UI, and audits who did it', async () => {
      const logs: LogLine[] = [];
      const { server, stop, send, knex } = await startPluginBackend(
        databases,
        databaseId,
        {
          logs,
          config: {
            gates: {
              quarantine: [
                {
                  serviceId: 'authn',
                  suite: 'api',
                  className: 'Cart',
                  name: 't1',
                  reason: 'JIRA-42',
                },
              ],
            },
          },
        },
      );
      try {
        await send(webhookDeployment()).expect(202);
        await request(server)
          .post(
            `${BASE}/ingest/test-reports?attemptId=${encodeURIComponent(
              'mira-us-west-2:authn:3.4.3:7',
            )}`,
          )
          .set('X-Webhook-Secret', SECRET)
          .set('Content-Type', 'application/xml')
          .send(report(['t1', 't2']))
          .expect(202);

        // t1 is quarantined in config: set apart; t2 still fails the gate.
        let gate = await request(server).get(GATE).expect(200);
        expect(gate.body.suites).toEqual([
          expect.objectContaining({
            suite: 'FUNCTIONAL',
            total: 10,
            passed: 8,
            failed: 2,
            quarantined: 1,
            passRate: 88.89,
            ok: false,
          }),
        ]);
        expect(gate.body.passed).toBe(false);

        const listed = await request(server)
          .get(`${ENTITY}/tests/quarantine`)
          .expect(200);
        expect(listed.body).toEqual({
          serviceId: 'authn',
          canManage: true,
          tests: [
            {
              caseId: expect.any(String),
              suite: 'api',
              className: 'Cart',
              name: 't1',
              reason: 'JIRA-42',
              source: 'config',
              addedBy: null,
              addedAt: null,
            },
          ],
        });

        // Quarantine t2 from the UI: the gate passes.
        const t2 = await knex('dq_test_cases').where('name', 't2').first('id');
        await request(server)
          .put(`${ENTITY}/tests/quarantine/${t2.id}`)
          .send({ reason: '' })
          .expect(400);
        const added = await request(server)
          .put(`${ENTITY}/tests/quarantine/${t2.id}`)
          .send({ reason: 'flaky since the DNS change' })
          .expect(200);
        expect(added.body).toMatchObject({
          caseId: String(t2.id),
          name: 't2',
          source: 'ui',
          reason: 'flaky since the DNS change',
          addedBy: 'user:default/mock',
          addedAt: expect.any(String),
        });
        gate = await request(server).get(GATE).expect(200);
        expect(gate.body.suites[0]).toMatchObject({
          quarantined: 2,
          passRate: 100,
          ok: true,
        });
        expect(gate.body.passed).toBe(true);

        // A test the service never ran can't be quarantined.
        await request(server)
          .put(`${ENTITY}/tests/quarantine/999999`)
          .send({ reason: 'x' })
          .expect(404);

        // Lifting: the config one only in config; the UI one is recorded.
        const t1 = listed.body.tests[0].caseId;
        const conflict = await request(server)
          .delete(`${ENTITY}/tests/quarantine/${t1}`)
          .expect(409);
        expect(conflict.body.error.message).toContain('app-config');
        await request(server)
          .delete(`${ENTITY}/tests/quarantine/${t2.id}`)
          .expect(204);
        await request(server)
          .delete(`${ENTITY}/tests/quarantine/${t2.id}`)
          .expect(404);
        gate = await request(server).get(GATE).expect(200);
        expect(gate.body.passed).toBe(false);
        expect(
          await knex('dq_test_quarantine').select(
            'name',
            'added_by',
            'lifted_by',
          ),
        ).toEqual([
          {
            name: 't2',
            added_by: 'user:default/mock',
            lifted_by: 'user:default/mock',
          },
        ]);
        // The auditor logged each change, the refused lift too.
        const audits = logs.filter(l =>
          String(l.message).includes('test-quarantine'),
        );
        expect(audits.length).toBeGreaterThanOrEqual(3);
      } finally {
        await stop();
      }
    });

    it('refuses changes without the permission, and says so to the view', async () => {
      const { server, stop } = await startPluginBackend(databases, databaseId, {
        features: [permissionsWithoutPluginOnes()],
      });
      try {
        const listed = await request(server)
          .get(`${ENTITY}/tests/quarantine`)
          .expect(200);
        expect(listed.body).toEqual({
          serviceId: 'authn',
          tests: [],
          canManage: false,
        });
        const refused = await request(server)
          .put(`${ENTITY}/tests/quarantine/1`)
          .send({ reason: 'because' })
          .expect(403);
        expect(refused.body.error.message).toContain(
          'deployment-quality.quarantine',
        );
        await request(server)
          .delete(`${ENTITY}/tests/quarantine/1`)
          .expect(403);
      } finally {
        await stop();
      }
    });
  },
);
