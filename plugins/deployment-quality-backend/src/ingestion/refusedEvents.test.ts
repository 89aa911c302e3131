import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { resolve } from 'node:path';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';
import { POISON_SERVICE, poisonDatabase } from '../__testUtils__/poison';
import { OpenApiChecker } from '../schema/__testUtils__/openApiChecker';

// An event the database refuses (here by a trigger; in life a value the
// bounds missed) fails alone: the rest of its request is stored, once. A
// database that fails as a whole still fails the request, so the CI retries.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });
const WEBHOOK = `${BASE}/ingest/webhook`;

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

/** A deployment, of the poisoned service when `poisoned`. */
const deployment = (eventId: string, runNumber: number, poisoned = false) =>
  webhookDeployment(
    { runNumber, ...(poisoned ? { serviceId: POISON_SERVICE } : {}) },
    { eventId },
  );

describe.each(databases.eachSupportedId())(
  'events the database refuses, embedded mode on %p',
  (databaseId: TestDatabaseId) => {
    let backend: Awaited<ReturnType<typeof startPluginBackend>>;
    let checker: OpenApiChecker;
    beforeAll(async () => {
      checker = await OpenApiChecker.load(
        resolve(__dirname, '../schema/openapi.yaml'),
        BASE,
      );
      backend = await startPluginBackend(databases, databaseId);
      await poisonDatabase(backend.knex);
    });
    afterAll(() => backend?.stop());

    const post = (body: object) =>
      request(backend.server)
        .post(WEBHOOK)
        .set('X-Webhook-Secret', SECRET)
        .send(body);

    it('fails the refused event of a batch of 50 alone, and stores the other 49 once', async () => {
      const { knex } = backend;
      const batch = {
        events: Array.from({ length: 50 }, (_, i) =>
          deployment(`batch-${i}`, i + 1, i === 17),
        ),
      };
      const first = await post(batch);
      expect(first.status).toBe(202);
      expect(checker.responseProblems('POST', WEBHOOK, first)).toEqual([]);
      expect(first.body.results[17]).toEqual({
        eventId: 'batch-17',
        status: 'failed',
        reason: expect.stringMatching(
          /^The database could not store this event \((P0001|SQLITE_CONSTRAINT_TRIGGER)\)$/,
        ),
      });
      const stored = first.body.results.filter(
        (r: { status: string }) => r.status === 'stored',
      );
      expect(stored).toHaveLength(49);
      expect(stored.some((r: { duplicate?: boolean }) => r.duplicate)).toBe(
        false,
      );
      expect(await count(knex, 'dq_ingested_events')).toBe(49);
      expect(await count(knex, 'dq_attempts')).toBe(49);
      expect(
        await knex('dq_ingested_events').where('event_id', 'batch-17'),
      ).toEqual([]);
      expect(
        await knex('dq_service_clusters').where('service_id', POISON_SERVICE),
      ).toEqual([]);

      // The same batch again: the 49 are duplicates, nothing counted twice.
      const again = await post(batch);
      expect(again.status).toBe(202);
      expect(again.body.results[17].status).toBe('failed');
      expect(
        again.body.results.filter((r: { duplicate?: boolean }) => r.duplicate),
      ).toHaveLength(49);
      expect(await count(knex, 'dq_ingested_events')).toBe(49);
      expect(await count(knex, 'dq_attempts')).toBe(49);
    });

    it('fails a request none of whose events could be stored, storing nothing', async () => {
      const { knex } = backend;
      const before = await count(knex, 'dq_ingested_events');
      expect((await post(deployment('lone', 1, true))).status).toBe(500);
      expect(
        (
          await post({
            events: [
              deployment('both-1', 2, true),
              deployment('both-2', 3, true),
            ],
          })
        ).status,
      ).toBe(500);
      expect(await count(knex, 'dq_ingested_events')).toBe(before);
    });

    it('fails the whole request when the database itself fails, storing nothing', async () => {
      const { knex } = backend;
      const before = await count(knex, 'dq_ingested_events');
      // A table gone (a broken migration): every event fails alike, and not
      // for a value of its own.
      await knex.schema.renameTable('dq_attempts', 'dq_attempts_away');
      try {
        const res = await post({
          events: Array.from({ length: 10 }, (_, i) =>
            deployment(`down-${i}`, 100 + i),
          ),
        });
        expect(res.status).toBe(500);
        expect(JSON.stringify(res.body)).not.toContain('dq_attempts');
      } finally {
        await knex.schema.renameTable('dq_attempts_away', 'dq_attempts');
      }
      expect(await count(knex, 'dq_ingested_events')).toBe(before);
    });
  },
);
