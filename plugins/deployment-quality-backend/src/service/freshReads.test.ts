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
      try {
        await send(webhookDeployment({ status: 'FAILED' })).expect(202);
        const before = await Promise.all(
          READS.map(async ([path, pick]) => pick((await read(path)).body)),
        );
        await send(
          webhookDeployment({
            serviceId: 'billing',
            buildVersion: '9.0.0',
            status: 'FAILED',
            startedAt: '2026-02-24T09:30:00Z',
            endedAt: '2026-02-24T09:40:00Z',
            runNumber: 8,
          }),
        ).expect(202);
        // The first read after the write, so nothing has refreshed yet.
        const fresh = await Promise.all(
          READS.map(async ([path, pick]) => [
            path,
            pick((await read(path, { 'Cache-Control': 'no-cache' })).body),
          ]),
        );
        for (const [i, [path]] of READS.entries()) {
          expect(fresh[i]).not.toEqual([path, before[i]]);
        }
        expect(fresh[2]).toEqual([
          `/clusters/${CLUSTER}/attempts?limit=20`,
          ['9.0.0', '3.4.3'],
        ]);

        await send(
          webhookDeployment({
            serviceId: 'payments',
            buildVersion: '1.0.0',
            status: 'FAILED',
            startedAt: '2026-02-24T10:00:00Z',
            endedAt: '2026-02-24T10:10:00Z',
            runNumber: 9,
          }),
        ).expect(202);
        // Without it, the first read after a write is the kept answer.
        const kept = await Promise.all(
          READS.map(async ([path, pick]) => [
            path,
            pick((await read(path)).body),
          ]),
        );
        expect(kept).toEqual(fresh);
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
