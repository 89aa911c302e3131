import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import fc from 'fast-check';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent } from '../__testUtils__/events';
import { SEES_ALL } from '../visibility/Visibility';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const base = Date.parse('2026-02-01T00:00:00.000Z');

/** An attempt per (minute offset, run): few distinct minutes, so many ties. */
const attemptArb = fc.record({
  minute: fc.integer({ min: 0, max: 20 }),
  run: fc.integer({ min: 1, max: 1_000_000 }),
  cluster: fc.constantFrom('mira-us-west-2', 'pavo-us-west-2'),
});

describe.each(databases.eachSupportedId())(
  'attempt pagination on %p',
  (databaseId: TestDatabaseId) => {
    it('walks every row exactly once, newest first, while new attempts arrive between pages', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(attemptArb, {
            minLength: 1,
            maxLength: 40,
            selector: a => a.run,
          }),
          fc.array(fc.integer({ min: 1, max: 7 }), {
            minLength: 1,
            maxLength: 40,
          }),
          fc.uniqueArray(attemptArb, { maxLength: 15, selector: a => a.run }),
          fc.option(fc.constantFrom('mira-us-west-2', 'pavo-us-west-2'), {
            nil: undefined,
          }),
          async (initial, limits, arriving, clusterFilter) => {
            const { store } = await createTestStore(databases, databaseId);
            const ingest = async (a: (typeof initial)[number], tag: string) => {
              const startedAt = new Date(base + a.minute * 60_000);
              await store.ingest(
                deploymentEvent(
                  {
                    clusterId: a.cluster,
                    runNumber: a.run,
                    startedAt: startedAt.toISOString(),
                    endedAt: new Date(startedAt.getTime() + 1000).toISOString(),
                  },
                  `${tag}-${a.run}`,
                ),
              );
            };
            for (const a of initial) await ingest(a, 'initial');
            const expected = initial.filter(
              a => !clusterFilter || a.cluster === clusterFilter,
            );
            // Runs that arrive mid-walk must not collide with the initial ones.
            const late = arriving.filter(
              a => !initial.some(i => i.run === a.run),
            );

            const seen: Array<{ id: string; startedAt: string }> = [];
            let cursor: string | undefined;
            let page = 0;
            do {
              const result = await store.listAttempts({
                serviceId: 'authn',
                clusterId: clusterFilter,
                visibility: SEES_ALL,
                limit: limits[page % limits.length],
                cursor,
              });
              seen.push(...result.attempts);
              cursor = result.nextCursor;
              const arrival = late[page];
              if (arrival) await ingest(arrival, 'late');
              page++;
              // A cursor that doesn't advance would page forever.
              if (page > initial.length + late.length + 1) {
                throw new Error(`still paging after ${page} pages`);
              }
            } while (cursor);

            const ids = seen.map(a => a.id);
            expect(new Set(ids).size).toBe(ids.length);
            for (const a of expected) {
              expect(ids).toContain(`${a.cluster}:authn:3.4.2:${a.run}`);
            }
            // Strictly newest first by (startedAt, id).
            for (let i = 1; i < seen.length; i++) {
              const prev = seen[i - 1];
              const cur = seen[i];
              const ordered =
                prev.startedAt > cur.startedAt ||
                (prev.startedAt === cur.startedAt && prev.id > cur.id);
              expect({ prev, cur, ordered }).toEqual({
                prev,
                cur,
                ordered: true,
              });
            }
          },
        ),
        { numRuns: databaseId === 'SQLITE_3' ? 40 : 15, seed: 20261123 },
      );
    });
  },
);
