import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import {
  BASE,
  LogLine,
  SECRET,
  capturingLogger,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';
import { DETAILS_WITHHELD } from '../status/StatusReporter';
import { internalErrorHandler } from './errors';

// Database and queue errors quote SQL with its values, table names and
// hosts. Callers get a plain message and a request id; the log gets the
// details under that id; /status shows them to readers only.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const REQUEST_ID =
  /^Internal error; request id ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Anything of the failed statement an answer must not carry. */
const LEAKS = /select|insert|dq_|sqlite|relation|authn|abc1234/i;

/** The request id of a 500 answer, checked to be all it says. */
function requestIdOf(res: request.Response): string {
  expect(res.status).toBe(500);
  expect(res.body).toEqual({
    error: { name: 'InternalServerError', message: expect.any(String) },
    request: { method: expect.any(String), url: expect.any(String) },
    response: { statusCode: 500 },
  });
  expect(JSON.stringify(res.body)).not.toMatch(LEAKS);
  const [, id] = res.body.error.message.match(REQUEST_ID) ?? [];
  expect(id).toEqual(expect.any(String));
  return id;
}

/** The error the plugin logged under the request id. */
function loggedUnder(logs: LogLine[], id: string) {
  const lines = logs.filter(l => l.level === 'error' && l.message.includes(id));
  expect(lines).toHaveLength(1);
  return lines[0].meta as Error;
}

describe('internalErrorHandler', () => {
  const app = (error: unknown, logs: LogLine[]) => {
    const router = Router();
    router.get('/fail', async () => {
      throw error;
    });
    router.use(internalErrorHandler(capturingLogger(logs)));
    // Stands in for Backstage's handler: what it is passed on to.
    router.use(
      (
        err: Error,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(299).json({ passedOn: err.name });
      },
    );
    return express().use(router);
  };

  it("passes the caller's errors on to Backstage's handler, answered as always", async () => {
    for (const error of [
      new InputError('bad limit'),
      new NotFoundError('No cluster x'),
      Object.assign(new Error('too large'), { status: 413 }),
    ]) {
      const logs: LogLine[] = [];
      const res = await request(app(error, logs)).get('/fail').expect(299);
      expect(res.body).toEqual({ passedOn: error.name });
      expect(logs).toEqual([]);
    }
  });

  it('answers anything else with a plain message and a request id it logs the error under', async () => {
    const logs: LogLine[] = [];
    const sql = new Error(
      "insert into `dq_attempts` (`id`) values ('secret-value') - SQLITE_ERROR",
    );
    const id = requestIdOf(await request(app(sql, logs)).get('/fail'));
    expect(loggedUnder(logs, id)).toBe(sql);

    // Not even an Error: still a 500 of the same shape.
    const thrown = requestIdOf(
      await request(app('select secret', logs)).get('/fail'),
    );
    expect(loggedUnder(logs, thrown)).toEqual({ error: 'select secret' });
  });

  it('keeps the name and status of a known 5xx error, not its text', async () => {
    const logs: LogLine[] = [];
    const res = await request(
      app(
        new ServiceUnavailableError(
          'Could not publish: connect ECONNREFUSED 10.0.0.7:9324',
        ),
        logs,
      ),
    )
      .get('/fail')
      .expect(503);
    expect(res.body.error).toEqual({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(
        /^Service unavailable; retry later; request id [0-9a-f-]{36}$/,
      ),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7/);
    expect(logs.map(l => l.message)).toEqual([
      expect.stringContaining(res.body.error.message.split('request id ')[1]),
    ]);
  });
});

describe.each(databases.eachSupportedId())(
  'error details on %p',
  (databaseId: TestDatabaseId) => {
    it('answers a database failure on read, webhook and report routes with a request id, and logs its SQL under it', async () => {
      const logs: LogLine[] = [];
      const { server, knex, stop } = await startPluginBackend(
        databases,
        databaseId,
        { logs },
      );
      try {
        // The caller's errors are answered as always.
        const missing = await request(server)
          .get(`${BASE}/clusters/nowhere/summary`)
          .expect(404);
        expect(missing.body.error).toEqual({
          name: 'NotFoundError',
          message: 'No cluster nowhere',
        });

        await knex.schema.dropTable('dq_attempts');
        const failures = [
          await request(server).get(`${BASE}/clusters/mira-us-west-2/attempts`),
          await request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', SECRET)
            .send(webhookDeployment()),
          await request(server)
            .post(`${BASE}/ingest/test-reports?attemptId=a-1`)
            .set('X-Webhook-Secret', SECRET)
            .set('Content-Type', 'application/xml')
            .send('<testsuite name="smoke"><testcase name="a"/></testsuite>'),
        ];
        for (const res of failures) {
          const id = requestIdOf(res);
          expect(String(loggedUnder(logs, id))).toContain('dq_attempts');
        }
      } finally {
        await stop();
      }
    });

    describe('GET /status', () => {
      /** The status while the retention runs can't be read. */
      const statusWithFailure = async (deny: boolean) => {
        const { server, knex, stop } = await startPluginBackend(
          databases,
          databaseId,
          { deny },
        );
        try {
          await knex.schema.dropTable('dq_retention_runs');
          return (await request(server).get(`${BASE}/status`).expect(200)).body;
        } finally {
          await stop();
        }
      };

      it('shows error details to callers with the read permission', async () => {
        const status = await statusWithFailure(false);
        expect(status.retention.error).toContain('dq_retention_runs');
      });

      it('shows the same status with the details withheld to callers without it', async () => {
        const status = await statusWithFailure(true);
        expect(status).toMatchObject({
          database: { ok: true },
          ingestion: { mode: 'embedded' },
          retention: { days: 36500, error: DETAILS_WITHHELD },
        });
        expect(JSON.stringify(status)).not.toMatch(LEAKS);
      });
    });
  },
);
