import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import { BASE, startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const CLUSTER = 'mira-us-west-2';

/** Each fleet-wide read a live page reloads, and what a second failed deployment of billing changes in it. */
const READS: Array<[string, (body: any) => unknown]> = [
  [`/clusters`, b => b.clusters.find((c: any) => c.id === CLUSTER).summary],
  [
    `/clusters/${CLUSTER}/summary`,
    b => b.services.map((s: any) => [s.serviceId, s.latestAttempt]),
  ],
  [
    `/clusters/${CLUSTER}/attempts?limit=20`,
    b => b.attempts.map((a: any) => a.buildVersion),
  ],
  [`/attempts?status=FAILED`, b => b.attempts.map((a: any) => a.buildVersion)],
  [`/services?limit=20`, b => b.services.map((s: any) => s.serviceId)],
];

describe.each(databases.eachSupportedId())(
  'fleet-wide reads after a write on %p',
  (databaseId: TestDatabaseId) => {
    it('answer from what they keep for a while, and as of the latest write with Cache-Control: no-cache', async () => {
      // The default: kept answers served up to 60 s after a write.
      const { server, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      const read = (path: string, headers: Record<string, string> = {}) =>
        request(server).get(`${BASE}${path}`).set(headers).expect(200);
      /** Every read, one after another, as [path, what it shows]. */
      const readAll = async (headers?: Record<string, string>) => {
        const answers = [];
        for (const [path, pick] of READS) {
          answers.push([path, pick((await read(path, headers)).body)]);
        }
        return answers;
      };
      let run = 0;
      const failed = (serviceId: string, buildVersion: string, at: string) =>
        send(
          webhookDeployment({
            serviceId,
            buildVersion,
            status: 'FAILED',
            startedAt: `2026-02-24T${at}:00Z`,
            endedAt: `2026-02-24T${at}:30Z`,
            runNumber: ++run,
          }),
        ).expect(202);
      const NO_CACHE = { 'Cache-Control': 'no-cache' };
      try {
        await failed('authn', '3.4.3', '09:00');
        const before = await readAll();
        await failed('billing', '9.0.0', '09:30');
        // The first reads after the write, so nothing has refreshed yet.
        const fresh = await readAll(NO_CACHE);
        for (const [i, answer] of fresh.entries()) {
          expect(answer).not.toEqual(before[i]);
        }
        expect(fresh[2]).toEqual([
          `/clusters/${CLUSTER}/attempts?limit=20`,
          ['9.0.0', '3.4.3'],
        ]);

        await failed('payments', '1.0.0', '10:00');
        // Without it, the first read after a write is the kept answer.
        expect(await readAll()).toEqual(fresh);
        // Other directives beside it count too.
        const attempts = await read(`/clusters/${CLUSTER}/attempts?limit=20`, {
          'Cache-Control': 'max-age=0, no-cache',
        });
        expect(attempts.body.attempts.map((a: any) => a.buildVersion)).toEqual([
          '1.0.0',
          '9.0.0',
          '3.4.3',
        ]);
      } finally {
        await stop();
      }
    });
  },
);
