import { ensureRollups } from './rollups';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  AttemptStatus,
  DeploymentPayload,
  EventEnvelope,
  Trigger,
  deriveAttemptId,
} from '@deployment-quality/plugin-deployment-quality-common';
import fc from 'fast-check';
import { Knex } from 'knex';
import { KnexDeploymentQualityStore } from './KnexDeploymentQualityStore';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { SEES_ALL } from '../visibility/Visibility';

/**
 * Property: the store's final state doesn't depend on the order events arrive
 * in, nor on how often each one is re-sent. Applying any permutation of a
 * generated event set, with arbitrary re-sends of the same envelopes (same
 * eventId), gives the same state as applying each event once in generation
 * order.
 *
 * Reproduce a failure with DQ_PROPERTY_SEED=<seed printed below> (fast-check's
 * report also prints the seed and the counterexample's path).
 */

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const seed = process.env.DQ_PROPERTY_SEED
  ? Number(process.env.DQ_PROPERTY_SEED)
  : Date.now() % 2 ** 31;
// eslint-disable-next-line no-console
console.info(
  `ingest order property runs on: ${databases
    .eachSupportedId()
    .join(', ')}; seed ${seed}`,
);

// Modest by default (two fresh databases per run); DQ_PROPERTY_RUNS raises it
// for a longer exploration.
const numRuns = (databaseId: TestDatabaseId) =>
  Number(process.env.DQ_PROPERTY_RUNS) || (databaseId === 'SQLITE_3' ? 25 : 15);

// A small world, so that events collide on clusters, services and builds.
const CLUSTERS = ['mira-us-west-2', 'pavo-us-east-1', 'aquila-eu-west-1'];
const SERVICES = ['authn', 'billing'];
const BUILDS = ['1.0.0', '1.1.0', '2.0.0-rc.1'];
const SOURCES = ['github-actions', 'argocd', 'jenkins'];
const SUITES = ['FUNCTIONAL', 'SANITY', 'REGRESSION', 'PERF_SMOKE'];
const FINISHED: AttemptStatus[] = ['SUCCESS', 'FAILED', 'ROLLBACK', 'LIVE'];
const TRIGGERS: Trigger[] = ['merge', 'promotion', 'manual', 'rollback'];

const BASE = Date.parse('2026-02-24T00:00:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(BASE + minutes * MINUTE).toISOString();

type Identity =
  | { kind: 'runNumber'; runNumber: number }
  | { kind: 'derived' }
  | { kind: 'attemptId'; attemptId: string };

interface FinishedSpec {
  status: AttemptStatus;
  endedAfter: number;
  withCommitAt: boolean;
  failureReason?: string;
  rollbackToBuild?: string;
  source: string;
  runNumberAsString: boolean;
}

interface AttemptSpec {
  clusterId: string;
  serviceId: string;
  buildVersion: string;
  gitSha: string;
  trigger: Trigger;
  identity: Identity;
  startedAt: number;
  /** Minutes before startedAt; one value per attempt, sent by some events only. */
  commitBefore: number;
  inProgress:
    | {
        withCommitAt: boolean;
        endedAtNull: boolean;
        source: string;
        runNumberAsString: boolean;
      }
    | undefined;
  finished: FinishedSpec[];
}

const finishedArb: fc.Arbitrary<FinishedSpec> = fc
  .record({
    status: fc.constantFrom(...FINISHED),
    endedAfter: fc.integer({ min: 1, max: 30 }),
    withCommitAt: fc.boolean(),
    failureReason: fc.option(
      fc.constantFrom('health check failed', 'smoke tests failed', 'timeout'),
      { nil: undefined },
    ),
    rollbackToBuild: fc.option(fc.constantFrom(...BUILDS), { nil: undefined }),
    source: fc.constantFrom(...SOURCES),
    runNumberAsString: fc.boolean(),
  })
  .map(f => ({
    ...f,
    failureReason:
      f.status === 'FAILED' || f.status === 'ROLLBACK'
        ? f.failureReason
        : undefined,
    rollbackToBuild: f.status === 'ROLLBACK' ? f.rollbackToBuild : undefined,
  }));

const attemptArb: fc.Arbitrary<AttemptSpec> = fc.record({
  clusterId: fc.constantFrom(...CLUSTERS),
  serviceId: fc.constantFrom(...SERVICES),
  buildVersion: fc.constantFrom(...BUILDS),
  gitSha: fc.constantFrom('abc1234', 'def5678', '0123abcd'),
  trigger: fc.constantFrom(...TRIGGERS),
  identity: fc.oneof(
    fc.record({
      kind: fc.constant('runNumber' as const),
      runNumber: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({ kind: fc.constant('derived' as const) }),
    fc.record({
      kind: fc.constant('attemptId' as const),
      attemptId: fc.constantFrom('gha-run-1', 'gha-run-2', 'argo-sync-7'),
    }),
  ),
  // Whole minutes (some attempts of a build share a start) plus odd
  // milliseconds (derived ids use epoch seconds).
  startedAt: fc.oneof(
    fc.integer({ min: 0, max: 240 }),
    fc.integer({ min: 0, max: 240 * 60_000 }).map(ms => ms / MINUTE),
  ),
  commitBefore: fc.integer({ min: 1, max: 120 }),
  inProgress: fc.option(
    fc.record({
      withCommitAt: fc.boolean(),
      endedAtNull: fc.boolean(),
      source: fc.constantFrom(...SOURCES),
      runNumberAsString: fc.boolean(),
    }),
    { nil: undefined },
  ),
  // One or two finished events; never two with the same status and endedAt
  // (those would carry different fields with nothing to order them by).
  finished: fc.uniqueArray(finishedArb, {
    minLength: 1,
    maxLength: 2,
    selector: f => `${f.status}@${f.endedAfter}`,
  }),
});

function deploymentPayload(
  a: AttemptSpec,
  e: {
    status: AttemptStatus;
    endedAt: string | null | undefined;
    withCommitAt: boolean;
    runNumberAsString: boolean;
    failureReason?: string;
    rollbackToBuild?: string;
  },
): DeploymentPayload {
  return {
    clusterId: a.clusterId,
    serviceId: a.serviceId,
    buildVersion: a.buildVersion,
    gitSha: a.gitSha,
    status: e.status,
    startedAt: at(a.startedAt),
    ...(e.endedAt !== undefined ? { endedAt: e.endedAt } : {}),
    trigger: a.trigger,
    ...(a.identity.kind === 'runNumber'
      ? {
          runNumber: e.runNumberAsString
            ? String(a.identity.runNumber)
            : a.identity.runNumber,
        }
      : {}),
    ...(a.identity.kind === 'attemptId'
      ? { attemptId: a.identity.attemptId }
      : {}),
    ...(e.withCommitAt ? { commitAt: at(a.startedAt - a.commitBefore) } : {}),
    ...(e.failureReason ? { failureReason: e.failureReason } : {}),
    ...(e.rollbackToBuild ? { rollbackToBuild: e.rollbackToBuild } : {}),
  };
}

const attemptIdOf = (a: AttemptSpec) =>
  deriveAttemptId(
    deploymentPayload(a, {
      status: 'IN_PROGRESS',
      endedAt: undefined,
      withCommitAt: false,
      runNumberAsString: false,
    }),
  );

const testResultArb = fc.record({
  link: fc.oneof(
    fc.record({
      kind: fc.constant('attempt' as const),
      index: fc.nat(),
    }),
    // An attempt that never arrives: kept, unlinked.
    fc.record({
      kind: fc.constant('unknownAttempt' as const),
      attemptId: fc.constantFrom('mira-us-west-2:authn:9.9.9:1', 'gha-run-99'),
    }),
    // By build, of one of the generated attempts (usually) or any build.
    fc.record({
      kind: fc.constant('buildOfAttempt' as const),
      index: fc.nat(),
    }),
    fc.record({
      kind: fc.constant('build' as const),
      clusterId: fc.constantFrom(...CLUSTERS),
      serviceId: fc.constantFrom(...SERVICES),
      buildVersion: fc.constantFrom(...BUILDS),
    }),
  ),
  suiteType: fc.constantFrom(...SUITES),
  passed: fc.integer({ min: 0, max: 50 }),
  failed: fc.integer({ min: 0, max: 5 }),
  skipped: fc.integer({ min: 0, max: 5 }),
  notRun: fc.integer({ min: 0, max: 3 }),
  durationSec: fc.integer({ min: 0, max: 7200 }).map(n => n / 4),
  // Before, between and after the attempts' starts, on whole minutes so runs
  // can tie with a start.
  executedAt: fc.integer({ min: -30, max: 300 }),
  reportUrl: fc.option(
    fc.constantFrom(
      'https://ci.example.com/r/1',
      'https://ci.example.com/r/2?x=%C3%A9',
    ),
    { nil: undefined },
  ),
  source: fc.constantFrom(...SOURCES),
  // The suite reported again for the same instant, with other counts (two
  // runs of one suite that tie on executedAt).
  twin: fc.boolean(),
});

const promotionArb = fc.record({
  serviceId: fc.constantFrom(...SERVICES),
  buildVersion: fc.constantFrom(...BUILDS),
  fromClusterId: fc.constantFrom(...CLUSTERS),
  toClusterId: fc.constantFrom(...CLUSTERS),
  promotedBy: fc.constantFrom('alice', 'bob', 'argo-bot'),
  // A narrow range, so promotions of one build often share an instant.
  promotedAt: fc.integer({ min: 0, max: 20 }),
  promotionId: fc.option(fc.constantFrom('promo-1', 'promo-2', 'promo-3'), {
    nil: undefined,
  }),
  // The same build promoted to a second cluster at the same instant.
  alsoTo: fc.option(fc.constantFrom(...CLUSTERS), { nil: undefined }),
});

const promotionIdOf = (p: {
  serviceId: string;
  buildVersion: string;
  fromClusterId: string;
  toClusterId: string;
  promotedAt: number;
  promotionId?: string;
}) =>
  p.promotionId ??
  `${p.serviceId}:${p.buildVersion}:${p.fromClusterId}:${p.toClusterId}:${p.promotedAt}`;

const clusterConfigArb = fc.record({
  id: fc.constantFrom(...CLUSTERS),
  receivedAt: fc.integer({ min: 0, max: 1000 }),
  name: fc.constantFrom('Mira', 'Mira US-West-2', 'Pavo', 'Aquila ✓'),
  type: fc.constantFrom('Development', 'Staging', 'Production'),
  role: fc.constantFrom('Primary', 'Secondary'),
  description: fc.constantFrom('', 'First stop of every merge'),
  region: fc.option(fc.constantFrom('us-west-2', 'eu-west-1'), {
    nil: undefined,
  }),
});

const scenarioArb = fc.record({
  // Distinct attempts: two specs never derive the same attempt id.
  attempts: fc.uniqueArray(attemptArb, {
    minLength: 1,
    maxLength: 5,
    selector: attemptIdOf,
  }),
  testResults: fc.array(testResultArb, { maxLength: 6 }),
  // Distinct promotions (by promotionId, explicit or derived): two events
  // with one promotion id are one promotion, the first stored wins.
  promotions: fc.array(promotionArb, { maxLength: 3 }).map(promotions => {
    const expanded = promotions.flatMap(({ alsoTo, ...p }) =>
      alsoTo && alsoTo !== p.toClusterId
        ? [
            p,
            {
              ...p,
              toClusterId: alsoTo,
              promotionId: p.promotionId && `${p.promotionId}-${alsoTo}`,
            },
          ]
        : [p],
    );
    const ids = new Set<string>();
    return expanded.filter(p => {
      const id = promotionIdOf(p);
      return !ids.has(id) && !!ids.add(id);
    });
  }),
  // Distinct receivedAt per cluster id: the later config wins.
  clusterConfigs: fc.uniqueArray(clusterConfigArb, {
    maxLength: 4,
    selector: c => `${c.id}@${c.receivedAt}`,
  }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** The scenario's events, in generation order, with distinct event ids. */
function eventsOf(s: Scenario): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  const envelope = (
    eventType: EventEnvelope['eventType'],
    source: string,
    payload: unknown,
    receivedAt = at(400),
  ) =>
    events.push({
      eventId: `${eventType}-${events.length + 1}`,
      eventType,
      source,
      receivedAt,
      payload,
    } as EventEnvelope);

  for (const a of s.attempts) {
    if (a.inProgress) {
      envelope(
        'deployment',
        a.inProgress.source,
        deploymentPayload(a, {
          status: 'IN_PROGRESS',
          endedAt: a.inProgress.endedAtNull ? null : undefined,
          withCommitAt: a.inProgress.withCommitAt,
          runNumberAsString: a.inProgress.runNumberAsString,
        }),
      );
    }
    for (const f of a.finished) {
      envelope(
        'deployment',
        f.source,
        deploymentPayload(a, { ...f, endedAt: at(a.startedAt + f.endedAfter) }),
      );
    }
  }
  for (const t of s.testResults) {
    let link: Record<string, string>;
    if (t.link.kind === 'attempt') {
      link = {
        attemptId: attemptIdOf(s.attempts[t.link.index % s.attempts.length]),
      };
    } else if (t.link.kind === 'unknownAttempt') {
      link = { attemptId: t.link.attemptId };
    } else if (t.link.kind === 'buildOfAttempt') {
      const a = s.attempts[t.link.index % s.attempts.length];
      link = {
        clusterId: a.clusterId,
        serviceId: a.serviceId,
        buildVersion: a.buildVersion,
      };
    } else {
      link = {
        clusterId: t.link.clusterId,
        serviceId: t.link.serviceId,
        buildVersion: t.link.buildVersion,
      };
    }
    const result = {
      ...link,
      suiteType: t.suiteType,
      total: t.passed + t.failed + t.skipped + t.notRun,
      passed: t.passed,
      failed: t.failed,
      skipped: t.skipped,
      durationSec: t.durationSec,
      executedAt: at(t.executedAt),
      ...(t.reportUrl ? { reportUrl: t.reportUrl } : {}),
    };
    envelope('test-result', t.source, result);
    if (t.twin) {
      envelope('test-result', t.source, {
        ...result,
        passed: result.passed + result.failed,
        failed: 0,
      });
    }
  }
  for (const p of s.promotions) {
    envelope('promotion', 'argocd', {
      serviceId: p.serviceId,
      buildVersion: p.buildVersion,
      fromClusterId: p.fromClusterId,
      toClusterId: p.toClusterId,
      promotedBy: p.promotedBy,
      promotedAt: at(p.promotedAt),
      ...(p.promotionId ? { promotionId: p.promotionId } : {}),
    });
  }
  for (const c of s.clusterConfigs) {
    envelope(
      'cluster-config',
      'k8s-controller',
      {
        id: c.id,
        name: c.name,
        type: c.type,
        role: c.role,
        description: c.description,
        ...(c.region ? { region: c.region } : {}),
      },
      at(c.receivedAt),
    );
  }
  return events;
}

/**
 * A scenario's events, some also re-sent by the CI under a new event id
 * (a retried job: the same payload, a different envelope), then the order the
 * subject store receives them in: a permutation in which any envelope may
 * repeat, delivered one by one or in batches.
 */
const caseArb = scenarioArb.chain(scenario => {
  const base = eventsOf(scenario);
  return fc
    .uniqueArray(fc.nat({ max: base.length - 1 }), {
      maxLength: Math.min(3, base.length),
    })
    .chain(resentIndexes => {
      const events = [
        ...base,
        ...resentIndexes.map((i, n) => ({
          ...base[i],
          eventId: `${base[i].eventId}-retry-${n + 1}`,
        })),
      ];
      return fc.record({
        scenario: fc.constant(scenario),
        events: fc.constant(events),
        delivery: fc
          .array(fc.nat({ max: events.length - 1 }), {
            maxLength: events.length,
          })
          .chain(repeats => {
            const all = [...events.keys(), ...repeats];
            return fc.shuffledSubarray(all, {
              minLength: all.length,
              maxLength: all.length,
            });
          }),
        // Sizes of consecutive delivery groups: 1 = ingest(), more = ingestBatch().
        groups: fc.array(fc.integer({ min: 1, max: 6 }), {
          minLength: 1,
          maxLength: 10,
        }),
      });
    });
});

/** Everything the store's readers can see, plus the raw rows behind them. */
async function snapshot(
  store: KnexDeploymentQualityStore,
  knex: Knex,
  scenario: Scenario,
) {
  const { attempts } = await store.listAttempts({
    limit: 10_000,
    visibility: SEES_ALL,
  });
  const attemptIds = attempts.map(a => a.id);
  const askedIds = [
    ...new Set([
      ...attemptIds,
      ...scenario.attempts.map(attemptIdOf),
      'mira-us-west-2:authn:9.9.9:1',
      'gha-run-99',
    ]),
  ].sort();
  const byId: Record<string, unknown> = {};
  const testRuns: Record<string, unknown> = {};
  for (const id of askedIds) {
    byId[id] = await store.getAttempt(id);
    testRuns[id] = await store.listTestRuns(id);
  }
  const gates = Object.fromEntries(await store.getGates(askedIds));

  // Every test run row, linked or not, without the autoincrement id.
  const testRunRows = (
    await knex('dq_test_runs').select('*').orderBy('event_id')
  ).map(({ id: _id, ...row }: Record<string, unknown>) => row);

  const promotionsOfBuild: Record<string, unknown> = {};
  for (const serviceId of SERVICES) {
    for (const buildVersion of BUILDS) {
      promotionsOfBuild[`${serviceId}@${buildVersion}`] =
        await store.listPromotionsOfBuild(serviceId, buildVersion);
    }
  }
  return {
    attempts,
    byId,
    testRuns,
    gates,
    testRunRows,
    promotionRows: await knex('dq_promotions')
      .select('*')
      .orderBy('promotion_id'),
    promotionsOfBuild,
    clusters: await store.listRegisteredClusters(),
    clusterRows: await knex('dq_clusters').select('*').orderBy('id'),
    seenClusterIds: await store.listSeenClusterIds(),
    servicePairs: await knex('dq_service_clusters')
      .select('cluster_id', 'service_id')
      .orderBy(['cluster_id', 'service_id']),
    pairStates: await store.listPairStates({ visibility: SEES_ALL }),
    ingestedEventIds: (
      await knex('dq_ingested_events').select('event_id').orderBy('event_id')
    ).map(r => r.event_id),
  };
}

/** The rollup tables, in key order, numbers as numbers. */
async function rollupRows(knex: Knex) {
  const rows = async (table: string, order: string[]) =>
    (await knex(table).select('*').orderBy(order)).map(
      (r: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v,
          ]),
        ),
    );
  return {
    attemptDays: await rows('dq_attempt_days', [
      'kind',
      'day',
      'cluster_id',
      'service_id',
      'status',
    ]),
    testDays: await rows('dq_test_days', [
      'day',
      'cluster_id',
      'service_id',
      'suite_type',
    ]),
    totals: await rows('dq_attempt_totals', [
      'cluster_id',
      'service_id',
      'status',
    ]),
  };
}

const createStore = (databaseId: TestDatabaseId) =>
  createTestStore(databases, databaseId);

describe.each(databases.eachSupportedId())(
  'ingest order and re-sends on %p',
  (databaseId: TestDatabaseId) => {
    it('any permutation with duplicates gives the state of each event applied once in order', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          caseArb,
          async ({ scenario, events, delivery, groups }) => {
            runs++;
            const reference = await createStore(databaseId);
            const subject = await createStore(databaseId);
            try {
              for (const event of events) {
                await expect(reference.store.ingest(event)).resolves.toEqual({
                  eventId: event.eventId,
                  duplicate: false,
                });
              }

              // Deliver in groups; the first delivery of an event id stores it,
              // every later one is a duplicate.
              const seen = new Set<string>();
              let next = 0;
              for (let g = 0; next < delivery.length; g++) {
                const size = groups[g % groups.length];
                const group = delivery
                  .slice(next, next + size)
                  .map(i => events[i]);
                next += size;
                const outcomes =
                  group.length === 1
                    ? [await subject.store.ingest(group[0])]
                    : await subject.store.ingestBatch(group);
                expect(outcomes).toEqual(
                  group.map(e => {
                    const duplicate = seen.has(e.eventId);
                    seen.add(e.eventId);
                    return { eventId: e.eventId, duplicate };
                  }),
                );
              }

              const expected = await snapshot(
                reference.store,
                reference.knex,
                scenario,
              );
              const actual = await snapshot(
                subject.store,
                subject.knex,
                scenario,
              );
              expect(actual).toEqual(expected);
              // The rollups kept after ingest are the ones rebuilt from the
              // rows.
              await subject.store.settleRollups();
              await reference.store.settleRollups();
              const kept = await rollupRows(subject.knex);
              expect(kept).toEqual(await rollupRows(reference.knex));
              await subject.knex('dq_derived').delete();
              await ensureRollups(subject.knex);
              expect(await rollupRows(subject.knex)).toEqual(kept);
              expect(kept.attemptDays.length).toBeGreaterThan(0);
              // Guard against a vacuous pass: the scenario wrote something.
              expect(expected.attempts.length).toBeGreaterThan(0);
              expect(expected.ingestedEventIds).toHaveLength(events.length);
            } finally {
              await reference.knex.destroy();
              await subject.knex.destroy();
            }
          },
        ),
        {
          seed,
          numRuns: numRuns(databaseId),
        },
      );
      expect(runs).toBeGreaterThanOrEqual(numRuns(databaseId));
    });
  },
);
