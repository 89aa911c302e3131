import { TestDatabases } from '@backstage/backend-test-utils';
import {
  BOUNDS,
  MAX_ATTEMPT_MS,
  MAX_COMMIT_AGE_MS,
} from '@deployment-quality/plugin-deployment-quality-common';
import fc from 'fast-check';
import { Knex } from 'knex';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';

/**
 * Property: contract-valid events at the bounds (ids and texts at their
 * longest, counts and durations at their maximum, times at the clock skew
 * past now, attempts and commits at their longest span) get the same
 * answers and leave the same stored state on every database, and what is
 * stored is what was sent. One field past its bound is refused naming it,
 * on every database alike. Before the bounds, derived ids of ~405 and ~526
 * characters, and counts past 2³¹, were stored by SQLite and failed on
 * PostgreSQL.
 *
 * Reproduce a failure with DQ_PROPERTY_SEED=<seed printed below>;
 * DQ_PROPERTY_RUNS changes the number of batches.
 */

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });
const seed = process.env.DQ_PROPERTY_SEED
  ? Number(process.env.DQ_PROPERTY_SEED)
  : Date.now() % 2 ** 31;
const numRuns = Number(process.env.DQ_PROPERTY_RUNS) || 100;
// eslint-disable-next-line no-console
console.info(
  `bounds property on ${databases.eachSupportedId().join(', ')}; seed ${seed}`,
);

const L = BOUNDS.length;
const DAY = 86_400_000;
const SKEW = BOUNDS.defaultFutureSkewSeconds * 1000;
/** Room for the time between building a body and its receipt. */
const MARGIN = 30_000;

// ---------------------------------------------------------------- values

/** An id of `length` characters from the id alphabet. */
const idOf = (length: number) =>
  fc
    .string({
      unit: fc.constantFrom(...'abcxyz0189.-_'),
      minLength: length - 1,
      maxLength: length - 1,
    })
    .map(rest => `a${rest}`);

/** An id at its bound, or a short one (so events meet on ids too). */
const idArb = (max: number, short: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: idOf(max) },
    { weight: 1, arbitrary: fc.constantFrom(...short) },
  );

/**
 * Free text of `max` characters: any code point but NUL (the validator
 * refuses it), so emoji count one character as in the columns.
 */
const textArb = (max: number) =>
  fc.oneof(
    fc
      .string({ unit: 'binary', minLength: max, maxLength: max })
      .map(t => t.split('\u0000').join('0')),
    fc.constantFrom('🚀'.repeat(max), 'é'.repeat(max), 'x'.repeat(max)),
  );

const countArb = fc.oneof(
  fc.constant(BOUNDS.maxCount),
  fc.integer({ min: 0, max: BOUNDS.maxCount }),
);

/** Ms before the latest time the skew allows (0: at the edge). */
const beforeEdgeArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 30 * DAY }),
);

// ---------------------------------------------------------------- events

/**
 * An event as a function of the latest time it may name (now plus the
 * skew, less a margin), so the body is built when it is sent.
 */
type Build = (edge: number) => Record<string, unknown>;

const iso = (ms: number) => new Date(ms).toISOString();

const deploymentArb: fc.Arbitrary<Build> = fc
  .record({
    clusterId: idArb(L.clusterId, ['mira-us-west-2']),
    serviceId: idArb(L.serviceId, ['authn']),
    buildVersion: idArb(L.buildVersion, ['1.0.0']),
    gitSha: fc.constantFrom('a'.repeat(L.gitSha), 'abc1234'),
    finished: fc.constantFrom('SUCCESS', 'FAILED', 'ROLLBACK', 'LIVE', null),
    identity: fc.oneof(
      fc.constant({}),
      fc.constant({ runNumber: '9'.repeat(L.runNumber) }),
      fc.constant({ runNumber: Number.MAX_SAFE_INTEGER }),
      textArb(L.attemptId).map(attemptId => ({ attemptId })),
    ),
    endBefore: beforeEdgeArb,
    span: fc.oneof(
      fc.constant(MAX_ATTEMPT_MS),
      fc.integer({ min: 0, max: MAX_ATTEMPT_MS }),
    ),
    commitAge: fc.option(
      fc.oneof(
        fc.constant(MAX_COMMIT_AGE_MS),
        fc.integer({ min: 0, max: MAX_COMMIT_AGE_MS }),
      ),
      { nil: undefined },
    ),
    failureReason: fc.option(textArb(L.failureReason), { nil: undefined }),
    rollbackToBuild: idArb(L.buildVersion, ['0.9.0']),
  })
  .map(d => (edge: number) => {
    const end = edge - d.endBefore;
    const start = d.finished ? end - d.span : end;
    return {
      eventType: 'deployment',
      payload: {
        clusterId: d.clusterId,
        serviceId: d.serviceId,
        buildVersion: d.buildVersion,
        gitSha: d.gitSha,
        status: d.finished ?? 'IN_PROGRESS',
        startedAt: iso(start),
        ...(d.finished ? { endedAt: iso(end) } : {}),
        trigger: 'merge',
        ...d.identity,
        ...(d.commitAge !== undefined
          ? { commitAt: iso(start - d.commitAge) }
          : {}),
        ...(d.failureReason ? { failureReason: d.failureReason } : {}),
        ...(d.finished === 'ROLLBACK'
          ? { rollbackToBuild: d.rollbackToBuild }
          : {}),
      },
    };
  });

const testResultArb: fc.Arbitrary<Build> = fc
  .record({
    link: fc.oneof(
      textArb(L.attemptId).map(attemptId => ({ attemptId })),
      fc.record({
        clusterId: idArb(L.clusterId, ['mira-us-west-2']),
        serviceId: idArb(L.serviceId, ['authn']),
        buildVersion: idArb(L.buildVersion, ['1.0.0']),
      }),
    ),
    suiteType: fc.constantFrom('F'.repeat(L.suiteType), 'FUNCTIONAL'),
    total: countArb,
    shares: fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    ),
    durationSec: fc.oneof(
      fc.constant(BOUNDS.maxDurationSec),
      fc.double({ min: 0, max: BOUNDS.maxDurationSec, noNaN: true }),
    ),
    before: beforeEdgeArb,
    reportUrl: fc.option(
      fc.constant(`https://ci.test/${'r'.repeat(L.reportUrl - 16)}`),
      { nil: undefined },
    ),
  })
  .map(t => (edge: number) => {
    const passed = Math.floor(t.total * t.shares[0]);
    const failed = Math.floor((t.total - passed) * t.shares[1]);
    return {
      eventType: 'test-result',
      payload: {
        ...t.link,
        suiteType: t.suiteType,
        total: t.total,
        passed,
        failed,
        skipped: t.total - passed - failed,
        durationSec: t.durationSec,
        executedAt: iso(edge - t.before),
        ...(t.reportUrl ? { reportUrl: t.reportUrl } : {}),
      },
    };
  });

const promotionArb: fc.Arbitrary<Build> = fc
  .record({
    promotionId: fc.option(textArb(L.promotionId), { nil: undefined }),
    serviceId: idArb(L.serviceId, ['authn']),
    buildVersion: idArb(L.buildVersion, ['1.0.0']),
    fromClusterId: idArb(L.clusterId, ['mira-us-west-2']),
    toClusterId: idArb(L.clusterId, ['pavo-us-east-1']),
    promotedBy: textArb(L.promotedBy),
    // Before 1970 as well (within the retention window of the test
    // backend): a negative epoch second is the longest.
    before: fc.oneof(
      beforeEdgeArb,
      fc.constant(Date.now() - Date.parse('1950-01-01T00:00:00Z')),
    ),
  })
  .map(({ promotionId, before, ...p }) => (edge: number) => ({
    eventType: 'promotion',
    payload: {
      ...p,
      ...(promotionId ? { promotionId } : {}),
      promotedAt: iso(edge - before),
    },
  }));

const clusterConfigArb: fc.Arbitrary<Build> = fc
  .record({
    id: idArb(L.clusterId, ['mira-us-west-2']),
    name: textArb(L.clusterName),
    type: textArb(L.clusterType),
    role: textArb(L.clusterRole),
    description: textArb(L.clusterDescription),
    region: textArb(L.region),
  })
  .map(payload => () => ({ eventType: 'cluster-config', payload }));

/** A valid event with its header at the bounds too. */
const validArb: fc.Arbitrary<Build> = fc
  .tuple(
    fc.oneof(deploymentArb, testResultArb, promotionArb, clusterConfigArb),
    textArb(L.source),
    fc.option(textArb(L.eventId), { nil: undefined }),
  )
  .map(([build, source, eventId]) => (edge: number) => ({
    source,
    ...(eventId ? { eventId } : {}),
    ...build(edge),
  }));

// ------------------------------------------------------ one past a bound

type Event = Record<string, any>;
type Breaker = [
  path: string,
  applies: (e: Event) => boolean,
  (e: Event) => void,
];

const is = (type: string) => (e: Event) => e.eventType === type;
const has = (field: string) => (e: Event) => e.payload[field] !== undefined;
const longer = (v: string) => `${v}${v.slice(-1)}`;

/** Each puts one field one past its bound (times: past the skew). */
const BREAKERS: Breaker[] = [
  ['eventId', () => true, e => (e.eventId = 'e'.repeat(L.eventId + 1))],
  ['source', () => true, e => (e.source = longer(e.source))],
  [
    'payload.clusterId',
    has('clusterId'),
    e => (e.payload.clusterId = 'c'.repeat(L.clusterId + 1)),
  ],
  [
    'payload.serviceId',
    has('serviceId'),
    e => (e.payload.serviceId = 's'.repeat(L.serviceId + 1)),
  ],
  [
    'payload.buildVersion',
    has('buildVersion'),
    e => (e.payload.buildVersion = '1'.repeat(L.buildVersion + 1)),
  ],
  [
    'payload.attemptId',
    has('attemptId'),
    e => (e.payload.attemptId = '🚀'.repeat(L.attemptId + 1)),
  ],
  [
    'payload.runNumber',
    is('deployment'),
    e => (e.payload.runNumber = '9'.repeat(L.runNumber + 1)),
  ],
  [
    'payload.startedAt',
    is('deployment'),
    e => {
      e.payload.startedAt = iso(Date.now() + SKEW + 60_000);
      delete e.payload.endedAt;
      delete e.payload.commitAt;
      e.payload.status = 'IN_PROGRESS';
    },
  ],
  [
    'payload.total',
    is('test-result'),
    e => (e.payload.total = BOUNDS.maxCount + 1),
  ],
  [
    'payload.durationSec',
    is('test-result'),
    e => (e.payload.durationSec = BOUNDS.maxDurationSec + 1),
  ],
  [
    'payload.executedAt',
    is('test-result'),
    e => (e.payload.executedAt = iso(Date.now() + SKEW + 60_000)),
  ],
  [
    'payload.promotedAt',
    is('promotion'),
    e => (e.payload.promotedAt = '9999-12-31T23:59:59Z'),
  ],
  [
    'payload.promotedBy',
    is('promotion'),
    e => (e.payload.promotedBy = longer(e.payload.promotedBy)),
  ],
  [
    'payload.fromClusterId',
    is('promotion'),
    e => (e.payload.fromClusterId = 'f'.repeat(L.clusterId + 1)),
  ],
  [
    'payload.description',
    is('cluster-config'),
    e => (e.payload.description = longer(e.payload.description)),
  ],
];

interface Item {
  build: Build;
  /** Which breaker to apply, if one applies to the event. */
  breaker?: number;
}

const batchArb = fc.array(
  fc.record({
    build: validArb,
    breaker: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.nat(BREAKERS.length - 1) },
    ),
  }),
  { minLength: 1, maxLength: 6 },
);

function materialize(items: Item[]) {
  const edge = Date.now() + SKEW - MARGIN;
  return items.map(({ build, breaker }) => {
    const event = build(edge) as Event;
    const broken =
      breaker !== undefined && BREAKERS[breaker][1](event)
        ? BREAKERS[breaker]
        : undefined;
    broken?.[2](event);
    return { event, broken: broken?.[0] };
  });
}

// ---------------------------------------------------------------- state

/** Each table as sorted plain rows, without what depends on the clock of receipt. */
async function storedState(knex: Knex) {
  // PostgreSQL answers bigints as strings and booleans as booleans.
  const plain = (v: unknown) => {
    if (v === null) return null;
    return typeof v === 'boolean' ? String(Number(v)) : String(v);
  };
  const table = async (name: string, omit: string[] = []) =>
    (await knex(name).select())
      .map(row =>
        JSON.stringify(
          Object.keys(row)
            .filter(k => !omit.includes(k))
            .sort()
            .map(k => [k, plain(row[k])]),
        ),
      )
      .sort();
  return {
    attempts: await table('dq_attempts'),
    testRuns: await table('dq_test_runs', ['id']),
    promotions: await table('dq_promotions'),
    clusters: await table('dq_clusters', ['updated_at']),
    pairs: await table('dq_service_clusters'),
    events: await table('dq_ingested_events', ['received_at', 'stored_at']),
    attemptDays: await table('dq_attempt_days'),
    testDays: await table('dq_test_days'),
    totals: await table('dq_attempt_totals'),
  };
}

/** An answer without what depends on the instant of receipt. */
const comparable = (res: { status: number; body: unknown }) => ({
  status: res.status,
  body: JSON.parse(
    JSON.stringify(res.body).replace(
      /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g,
      '<time>',
    ),
  ),
});

// ------------------------------------------------------------------ test

describe('events at the bounds', () => {
  it('get the same answers and leave the same stored state on every database, as sent', async () => {
    const backends: Array<Awaited<ReturnType<typeof startPluginBackend>>> = [];
    for (const [id] of databases.eachSupportedId()) {
      backends.push(await startPluginBackend(databases, id));
    }
    const sentTests = new Map<string, Event>();
    const answered: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(batchArb, async items => {
          const batch = materialize(items);
          const answers = [];
          for (const backend of backends) {
            answers.push(
              await request(backend.server)
                .post(`${BASE}/ingest/webhook`)
                .set('X-Webhook-Secret', SECRET)
                .send({ events: batch.map(b => b.event) }),
            );
          }
          for (const other of answers.slice(1)) {
            expect(comparable(other)).toEqual(comparable(answers[0]));
          }
          const { status, body } = answers[0];
          expect([202, 400]).toContain(status);
          const results: any[] = body.results;
          // A valid event is stored; one past a bound is refused naming
          // the field.
          expect(
            results.map((r, i) => ({
              status: r.status,
              named: batch[i].broken
                ? r.problems.some((p: any) => p.path === batch[i].broken)
                : undefined,
            })),
          ).toEqual(
            batch.map(({ broken }) => ({
              status: broken ? 'rejected' : 'stored',
              named: broken ? true : undefined,
            })),
          );
          results.forEach((r, i) => {
            if (r.status !== 'stored') return;
            answered.push(r.eventId);
            const { event } = batch[i];
            if (event.eventType === 'test-result' && !r.duplicate) {
              sentTests.set(r.eventId, event.payload);
            }
          });
        }),
        { seed, numRuns },
      );

      // Settled, the rollups included: reads settle them.
      for (const backend of backends) {
        await request(backend.server).get(`${BASE}/analytics`).expect(200);
      }
      const states = [];
      for (const backend of backends)
        states.push(await storedState(backend.knex));
      for (const other of states.slice(1)) {
        expect(other).toEqual(states[0]);
      }

      // What is stored is what was sent: counts, durations and times of
      // every test run, and every id within its column.
      const { knex } = backends[0];
      const runs = await knex('dq_test_runs').select();
      for (const [eventId, sent] of sentTests) {
        const row = runs.find(r => r.event_id === eventId);
        expect({
          total: Number(row?.total),
          passed: Number(row?.passed),
          failed: Number(row?.failed),
          skipped: Number(row?.skipped),
          durationSec: Number(row?.duration_sec),
          executedAt: Number(row?.executed_at),
        }).toEqual({
          total: sent.total,
          passed: sent.passed,
          failed: sent.failed,
          skipped: sent.skipped,
          durationSec: sent.durationSec,
          executedAt: Date.parse(sent.executedAt),
        });
      }
      const chars = (v: string) => [...v].length;
      const longest = async (table: string, column: string) =>
        Math.max(
          0,
          ...(await knex(table).pluck(column)).map((v: string) => chars(v)),
        );
      expect(await longest('dq_attempts', 'id')).toBeLessThanOrEqual(
        L.attemptId,
      );
      expect(
        await longest('dq_promotions', 'promotion_id'),
      ).toBeLessThanOrEqual(L.promotionId);
      // The bounds were reached, not just respected.
      expect(await longest('dq_attempts', 'id')).toBeGreaterThan(300);
      expect(answered.length).toBeGreaterThan(numRuns);
    } finally {
      for (const backend of backends) await backend.stop();
    }
  });
});
