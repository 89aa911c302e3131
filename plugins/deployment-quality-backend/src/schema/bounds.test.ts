import {
  BOUNDS,
  validateQueueMessage,
  validateWebhookEvent,
} from '@deployment-quality/plugin-deployment-quality-common';
import { resolve } from 'node:path';
import { OpenApiChecker } from './__testUtils__/openApiChecker';

// One set of bounds: the spec states the numbers of BOUNDS (every bounded
// field of every payload, and no bound BOUNDS doesn't have), and the
// validator holds each field at its bound and refuses it one past, naming
// the field.

type Schema = Record<string, any>;
const L = BOUNDS.length;

/** Spec properties whose BOUNDS entry has another name. */
const ALIASES: Record<string, keyof typeof BOUNDS | keyof typeof L> = {
  fromClusterId: 'clusterId',
  toClusterId: 'clusterId',
  rollbackToBuild: 'buildVersion',
  total: 'maxCount',
  passed: 'maxCount',
  failed: 'maxCount',
  skipped: 'maxCount',
  durationSec: 'maxDurationSec',
  'ClusterConfigPayload.id': 'clusterId',
  'ClusterConfigPayload.name': 'clusterName',
  'ClusterConfigPayload.type': 'clusterType',
  'ClusterConfigPayload.role': 'clusterRole',
  'ClusterConfigPayload.description': 'clusterDescription',
  'ClusterTestResultPayload.suite': 'validationSuite',
  'ScorecardPayload.name': 'scorecardName',
  'ScorecardPayload.url': 'reportUrl',
  score: 'maxScore',
  maxScore: 'maxScore',
};

const boundOf = (name: string): number | undefined => {
  const key = Object.hasOwn(ALIASES, name) ? ALIASES[name] : name;
  if (Object.hasOwn(L, key)) return L[key as keyof typeof L];
  const top = BOUNDS[key as keyof typeof BOUNDS];
  return typeof top === 'number' ? top : undefined;
};

/** Every `maxLength` and `maximum` a property's schema states. */
function statedBounds(schema: Schema): number[] {
  const variants: Schema[] = schema.oneOf ?? [schema];
  return variants.flatMap(v =>
    [v.maxLength, v.maximum].filter((n): n is number => n !== undefined),
  );
}

describe('the bounds in the OpenAPI spec', () => {
  let schemas: Record<string, Schema>;
  beforeAll(async () => {
    const checker = await OpenApiChecker.load(
      resolve(__dirname, 'openapi.yaml'),
      '/api/deployment-quality',
    );
    schemas = checker.doc.components.schemas;
  });

  it('are the numbers of BOUNDS, for every field of every payload and event header', () => {
    const stated: Record<string, number[]> = {};
    const unbounded: string[] = [];
    const payloads = [
      'DeploymentPayload',
      'TestResultPayload',
      'PromotionPayload',
      'ClusterConfigPayload',
      'ClusterTestResultPayload',
      'ScorecardPayload',
      'DeploymentEvent',
    ];
    for (const name of payloads) {
      for (const [property, schema] of Object.entries<Schema>(
        schemas[name].properties,
      )) {
        if (property === 'payload' || property === 'eventType') continue;
        // A map of labels: its size, its names' and its values' lengths.
        if (schema.additionalProperties) {
          const map: Record<string, number | undefined> = {
            maxLabels: schema.maxProperties,
            // OpenAPI 3.0 has no propertyNames: the names' bound is in words.
            labelKey: Number(
              /names up to (\d+) characters/.exec(schema.description)?.[1] ??
                NaN,
            ),
            labelValue: schema.additionalProperties.maxLength,
          };
          for (const [key, n] of Object.entries(map)) {
            if (n === undefined || Number.isNaN(n)) {
              unbounded.push(`${name}.${property} ${key}`);
            } else (stated[key] ??= []).push(n);
          }
          continue;
        }
        // A list of checks: its length, and each check's fields.
        if (schema.type === 'array') {
          const items = schema.items.properties;
          for (const [key, n] of Object.entries({
            maxChecks: schema.maxItems,
            checkName: items.name.maxLength,
            reportUrl: items.url.maxLength,
          })) {
            if (n === undefined) unbounded.push(`${name}.${property} ${key}`);
            else (stated[key] ??= []).push(n);
          }
          continue;
        }
        const numbers = statedBounds(schema);
        const isTime = schema.format === 'date-time';
        const isEnum = Boolean(schema.enum);
        if (!numbers.length && !isTime && !isEnum) {
          unbounded.push(`${name}.${property}`);
        }
        const key = Object.hasOwn(ALIASES, `${name}.${property}`)
          ? `${name}.${property}`
          : property;
        (stated[key] ??= []).push(...numbers);
      }
    }
    // Every field is bounded: by length or value, by the clock (times,
    // checked at receipt), or by an enum.
    expect(unbounded).toEqual([]);

    const disagreements: string[] = [];
    for (const [key, numbers] of Object.entries(stated)) {
      for (const n of numbers) {
        // A runNumber sent as a number is a safe integer, not a BOUNDS entry.
        if (key === 'runNumber' && n === Number.MAX_SAFE_INTEGER) continue;
        if (boundOf(key) !== n) disagreements.push(`${key}: spec ${n}`);
      }
    }
    expect(disagreements).toEqual([]);

    // And every bound is stated. sourceKey belongs to the queue message,
    // which the spec doesn't describe (the README does).
    const statedKeys = new Set(
      Object.keys(stated).map(k =>
        Object.hasOwn(ALIASES, k) ? ALIASES[k] : k,
      ),
    );
    expect(
      [
        ...Object.keys(L),
        'maxCount',
        'maxDurationSec',
        'maxLabels',
        'maxChecks',
        'maxScore',
      ].filter(k => !statedKeys.has(k) && k !== 'sourceKey'),
    ).toEqual([]);
  });

  it('state the time bounds the validator applies', () => {
    const deployment = schemas.DeploymentPayload.description.replace(
      /\s+/g,
      ' ',
    );
    expect(deployment).toContain(
      `nor more than ${BOUNDS.maxAttemptDays} days after it`,
    );
    expect(deployment).toContain(
      `nor more than ${BOUNDS.maxCommitAgeDays} days before it`,
    );
    expect(deployment).toContain(
      `default ${BOUNDS.defaultFutureSkewSeconds} s`,
    );
  });
});

describe('derived ids', () => {
  // Epoch seconds of any ISO-8601 time (years 0000 to 9999, any offset)
  // take at most 12 characters: -62167219200 to 253402351199.
  const SECONDS = 12;

  it('fit their 400-character columns at the bounds of their parts', () => {
    const attempt =
      L.clusterId +
      L.serviceId +
      L.buildVersion +
      Math.max(L.runNumber, SECONDS) +
      3;
    const promotion =
      L.serviceId + L.buildVersion + 2 * L.clusterId + SECONDS + 4;
    expect(attempt).toBeLessThanOrEqual(L.attemptId);
    expect(promotion).toBeLessThanOrEqual(L.promotionId);
    expect(
      String(Math.floor(Date.parse('0000-01-01T00:00:00Z') / 1000)),
    ).toHaveLength(SECONDS);
    expect(
      String(Math.floor(Date.parse('9999-12-31T23:59:59-14:00') / 1000)),
    ).toHaveLength(SECONDS);
  });
});

describe('the validator', () => {
  const NOW = Date.parse('2026-02-24T10:00:00Z');
  const at = { notAfter: NOW };

  const deployment = (payload: Record<string, unknown> = {}) => ({
    source: 'ci',
    eventType: 'deployment',
    payload: {
      clusterId: 'mira',
      serviceId: 'authn',
      buildVersion: '1.0.0',
      gitSha: 'abc1234',
      status: 'FAILED',
      startedAt: '2026-02-24T09:00:00Z',
      endedAt: '2026-02-24T09:10:00Z',
      trigger: 'merge',
      ...payload,
    },
  });
  const testResult = (payload: Record<string, unknown> = {}) => ({
    source: 'ci',
    eventType: 'test-result',
    payload: {
      clusterId: 'mira',
      serviceId: 'authn',
      buildVersion: '1.0.0',
      suiteType: 'FUNCTIONAL',
      total: 10,
      passed: 10,
      failed: 0,
      skipped: 0,
      durationSec: 1,
      executedAt: '2026-02-24T09:00:00Z',
      ...payload,
    },
  });
  const promotion = (payload: Record<string, unknown> = {}) => ({
    source: 'ci',
    eventType: 'promotion',
    payload: {
      serviceId: 'authn',
      buildVersion: '1.0.0',
      fromClusterId: 'mira',
      toClusterId: 'pavo',
      promotedBy: 'alice',
      promotedAt: '2026-02-24T09:00:00Z',
      ...payload,
    },
  });
  const cluster = (payload: Record<string, unknown> = {}) => ({
    source: 'ci',
    eventType: 'cluster-config',
    payload: {
      id: 'mira',
      name: 'Mira',
      type: 'Dev',
      role: 'Primary',
      ...payload,
    },
  });

  const url = (n: number) => `https://ci.test/${'r'.repeat(n - 16)}`;

  /** [path, the event with the field of length n] */
  const lengthCases: Array<
    [string, number, (n: number) => Record<string, unknown>]
  > = [
    [
      'payload.clusterId',
      L.clusterId,
      n => deployment({ clusterId: 'c'.repeat(n) }),
    ],
    [
      'payload.serviceId',
      L.serviceId,
      n => deployment({ serviceId: 's'.repeat(n) }),
    ],
    [
      'payload.buildVersion',
      L.buildVersion,
      n => deployment({ buildVersion: '1'.repeat(n) }),
    ],
    ['payload.gitSha', L.gitSha, n => deployment({ gitSha: 'a'.repeat(n) })],
    // Lengths count characters, as the columns do: an emoji is one.
    [
      'payload.attemptId',
      L.attemptId,
      n =>
        deployment({
          attemptId: '🚀'.repeat(n),
        }),
    ],
    [
      'payload.runNumber',
      L.runNumber,
      n => deployment({ runNumber: '9'.repeat(n) }),
    ],
    [
      'payload.failureReason',
      L.failureReason,
      n => deployment({ failureReason: 'é'.repeat(n) }),
    ],
    [
      'payload.rollbackToBuild',
      L.buildVersion,
      n => deployment({ status: 'ROLLBACK', rollbackToBuild: '2'.repeat(n) }),
    ],
    ['eventId', L.eventId, n => ({ ...deployment(), eventId: 'e'.repeat(n) })],
    ['source', L.source, n => ({ ...deployment(), source: 's'.repeat(n) })],
    [
      'payload.attemptId',
      L.attemptId,
      n => testResult({ attemptId: 'a'.repeat(n) }),
    ],
    [
      'payload.clusterId',
      L.clusterId,
      n => testResult({ clusterId: 'c'.repeat(n) }),
    ],
    [
      'payload.suiteType',
      L.suiteType,
      n => testResult({ suiteType: 'S'.repeat(n) }),
    ],
    ['payload.reportUrl', L.reportUrl, n => testResult({ reportUrl: url(n) })],
    [
      'payload.promotionId',
      L.promotionId,
      n => promotion({ promotionId: 'p'.repeat(n) }),
    ],
    [
      'payload.fromClusterId',
      L.clusterId,
      n => promotion({ fromClusterId: 'f'.repeat(n) }),
    ],
    [
      'payload.toClusterId',
      L.clusterId,
      n => promotion({ toClusterId: 't'.repeat(n) }),
    ],
    [
      'payload.promotedBy',
      L.promotedBy,
      n => promotion({ promotedBy: 'b'.repeat(n) }),
    ],
    ['payload.id', L.clusterId, n => cluster({ id: 'i'.repeat(n) })],
    ['payload.name', L.clusterName, n => cluster({ name: 'n'.repeat(n) })],
    ['payload.type', L.clusterType, n => cluster({ type: 't'.repeat(n) })],
    ['payload.role', L.clusterRole, n => cluster({ role: 'r'.repeat(n) })],
    [
      'payload.description',
      L.clusterDescription,
      n => cluster({ description: 'd'.repeat(n) }),
    ],
    ['payload.region', L.region, n => cluster({ region: 'r'.repeat(n) })],
  ];

  it.each(lengthCases)(
    'holds %s at %i characters and refuses one more, naming it',
    (path, max, event) => {
      expect(validateWebhookEvent(event(max), at)).toMatchObject({ ok: true });
      const over = validateWebhookEvent(event(max + 1), at);
      expect(over.ok).toBe(false);
      expect(!over.ok && over.problems.map(p => p.path)).toEqual([path]);
    },
  );

  it('holds counts and durations at their maximum and refuses one more', () => {
    const max = BOUNDS.maxCount;
    expect(
      validateWebhookEvent(
        testResult({
          total: max,
          passed: max,
          durationSec: BOUNDS.maxDurationSec,
        }),
        at,
      ).ok,
    ).toBe(true);
    for (const field of ['total', 'passed', 'failed', 'skipped']) {
      const over = validateWebhookEvent(
        testResult({ total: max, passed: 0, [field]: max + 1 }),
        at,
      );
      expect(!over.ok && over.problems.map(p => p.path)).toContain(
        `payload.${field}`,
      );
    }
    const slow = validateWebhookEvent(
      testResult({ durationSec: BOUNDS.maxDurationSec + 0.5 }),
      at,
    );
    expect(!slow.ok && slow.problems.map(p => p.path)).toEqual([
      'payload.durationSec',
    ]);
    const huge = validateWebhookEvent(
      deployment({ runNumber: Number.MAX_SAFE_INTEGER + 2 }),
      at,
    );
    expect(!huge.ok && huge.problems.map(p => p.path)).toEqual([
      'payload.runNumber',
    ]);
  });

  it('bounds an attempt to 366 days and its commit to 3660 days before it', () => {
    const DAY = 86_400_000;
    const start = Date.parse('2025-01-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    const event = (endedAt: number, commitAt: number) =>
      deployment({
        startedAt: iso(start),
        endedAt: iso(endedAt),
        commitAt: iso(commitAt),
      });
    const longest = start + BOUNDS.maxAttemptDays * DAY;
    const oldest = start - BOUNDS.maxCommitAgeDays * DAY;
    expect(validateWebhookEvent(event(longest, oldest), at).ok).toBe(true);
    const over = validateWebhookEvent(event(longest + 1, oldest - 1), at);
    expect(!over.ok && over.problems.map(p => p.path)).toEqual([
      'payload.endedAt',
      'payload.commitAt',
    ]);
  });

  it('refuses every time past notAfter, beside the schema problems, and applies a default', () => {
    const late = new Date(NOW + 1).toISOString();
    const onTime = new Date(NOW).toISOString();
    expect(
      validateWebhookEvent(
        deployment({ startedAt: onTime, endedAt: onTime, commitAt: onTime }),
        at,
      ).ok,
    ).toBe(true);
    const result = validateWebhookEvent(
      deployment({
        startedAt: late,
        endedAt: late,
        commitAt: late,
        gitSha: 'not hex',
      }),
      at,
    );
    expect(!result.ok && result.problems.map(p => p.path).sort()).toEqual([
      'payload.commitAt',
      'payload.endedAt',
      'payload.gitSha',
      'payload.startedAt',
    ]);
    for (const [event, path] of [
      [testResult({ executedAt: late }), 'payload.executedAt'],
      [promotion({ promotedAt: late }), 'payload.promotedAt'],
    ] as const) {
      const refused = validateWebhookEvent(event, at);
      expect(!refused.ok && refused.problems.map(p => p.path)).toEqual([path]);
    }
    // A message on the queue: its receivedAt too.
    const message = validateQueueMessage(
      { ...testResult(), eventId: 'e-1', receivedAt: late },
      at,
    );
    expect(!message.ok && message.problems.map(p => p.path)).toEqual([
      'receivedAt',
    ]);
    // Without options: now plus the default skew.
    const skew = BOUNDS.defaultFutureSkewSeconds * 1000;
    const soon = new Date(Date.now() + skew - 60_000).toISOString();
    const far = new Date(Date.now() + skew + 60_000).toISOString();
    expect(validateWebhookEvent(testResult({ executedAt: soon })).ok).toBe(
      true,
    );
    expect(validateWebhookEvent(testResult({ executedAt: far })).ok).toBe(
      false,
    );
    expect(
      validateWebhookEvent(testResult({ executedAt: '9999-12-31T00:00:00Z' }))
        .ok,
    ).toBe(false);
  });
});
