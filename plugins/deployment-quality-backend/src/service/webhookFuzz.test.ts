import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ATTEMPT_STATUSES,
  BOUNDS,
  DeploymentPayload,
  TRIGGERS,
  deriveAttemptId,
} from '@deployment-quality/plugin-deployment-quality-common';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { deploymentQualityPlugin } from '../plugin';

/**
 * Fuzzes POST /ingest/webhook through the whole backend: random JSON, valid
 * events with random mutations, batches mixing valid and invalid items,
 * invalid JSON, empty and oversized bodies, with random, missing and
 * malformed credentials. Checks every answer against an oracle (size limit,
 * then credentials, then 202/400), and after the run that exactly the events
 * answered "stored" (not duplicate) were written, each with its rows.
 *
 * Reproduce a failure with DQ_FUZZ_SEED=<seed printed below>; DQ_FUZZ_REQUESTS
 * changes the number of requests (default 10,000).
 */

jest.setTimeout(240_000);

const SECRET = 'fuzz-secret-0123456789';
const OTHER_SECRET = 'fuzz-rotated-secret-0123456789';
const KEYS = [SECRET, OTHER_SECRET];
const MAX_BODY_BYTES = 64 * 1024;
const WEBHOOK = '/api/deployment-quality/ingest/webhook';
const REQUESTS = Number(process.env.DQ_FUZZ_REQUESTS) || 10_000;
const seed = process.env.DQ_FUZZ_SEED
  ? Number(process.env.DQ_FUZZ_SEED)
  : Date.now() % 2 ** 31;

// The fuzz exercises the HTTP layer: SQLite is enough. DQ_FUZZ_DATABASE=
// POSTGRES_15 (with its connection string set) runs it on PostgreSQL, which
// can't store U+0000 in text and turns lone surrogate halves into U+FFFD —
// why the validator refuses both.
const databaseId = (process.env.DQ_FUZZ_DATABASE ??
  'SQLITE_3') as TestDatabaseId;
const databases = TestDatabases.create({ ids: [databaseId] });

// eslint-disable-next-line no-console
console.info(
  `webhook fuzz on ${databaseId}: ${REQUESTS} requests, seed ${seed}`,
);

async function startBackend() {
  const knex = await databases.init(databaseId);
  const { server } = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: {
            // The fixtures are dated: keep them inside the retention window.
            retention: { days: 36500 },
            clusters: [{ id: 'mira-us-west-2', name: 'Mira US-West-2' }],
            ingestion: {
              webhook: {
                maxBodyBytes: MAX_BODY_BYTES,
                keys: [
                  { name: 'ci', secret: SECRET },
                  { name: 'ci-rotated', secret: OTHER_SECRET },
                ],
              },
            },
          },
        },
      }),
    ],
  });
  return { server, knex };
}

// ---------------------------------------------------------------- values

// Contract-valid extremes too: ids at their bounds (their derived attempt
// and promotion ids at the longest the columns hold).
const CLUSTERS = [
  'mira-us-west-2',
  'pavo-us-east-1',
  'new-cluster.1',
  `c${'-'.repeat(BOUNDS.length.clusterId - 1)}`,
];
const SERVICES = [
  'authn',
  'billing',
  'svc_2',
  `s${'_'.repeat(BOUNDS.length.serviceId - 1)}`,
];
const BUILDS = [
  '1.0.0',
  '1.1.0+build.7',
  '2.0.0-rc.1',
  `9${'+'.repeat(BOUNDS.length.buildVersion - 1)}`,
];
const BASE = Date.parse('2026-02-24T00:00:00.000Z');

/** A valid timestamp, in one of the accepted spellings. */
const timestampArb = (minutes: fc.Arbitrary<number>) =>
  fc.tuple(minutes, fc.constantFrom('ms', 's', 'offset')).map(([m, style]) => {
    const iso = new Date(BASE + m * 60_000).toISOString();
    if (style === 'ms') return iso;
    if (style === 's') return iso.replace('.000Z', 'Z');
    return iso.replace('.000Z', '+00:00');
  });

const printable = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map(c => String.fromCharCode(c)),
    minLength,
    maxLength,
  });

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  // Any code point (well-formed: no unpaired surrogate halves).
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'e\u0301',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    '\u202eevil',
    '\ufeff',
    '🚀',
    'a:b/c',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "'; drop table dq_attempts; --",
    '%00',
  ),
);

/**
 * Unpaired surrogate halves (JSON's "\ud800" escapes): refused by the
 * validator wherever they appear (see the last test below).
 */
const loneSurrogates = fc.constantFrom(
  'half \ud800 a pair',
  '\udc00',
  '\udbff\ud800',
);

const hugeString = fc
  .tuple(
    fc.integer({ min: 1_000, max: 70_000 }),
    fc.constantFrom('x', 'é', '🚀', '\\', '"'),
  )
  .map(([n, c]) => c.repeat(n));

function nested(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: oddString },
  { weight: 1, arbitrary: hugeString },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '1',
      '42',
      '1e3',
      '0x10',
      ' 7 ',
      'NaN',
      'Infinity',
      '-0',
      'true',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(-1, 0.5, 1e308, -1e-308, 2 ** 53 + 1, 1e21),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '2026-02-30T25:61:00Z',
      '2026-02-24',
      'yesterday',
      '2026-02-24T10:00:00',
      '2026-02-24T10:00:00+25:00',
      '1771927200',
      '2026-02-24T10:00:00.123456789Z',
      '+275760-09-13T00:00:00.000Z',
      '0000-01-01T00:00:00Z',
      '2026-02-24t10:00:00z',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map(nested) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.array(fc.array(fc.jsonValue({ maxDepth: 1 }))) },
);

// ---------------------------------------------------------- valid events

// Ids are echoed and stored as sent; with NUL or lone surrogate halves they
// are refused (see the note on DQ_FUZZ_DATABASE above).
const eventIdArb = fc.option(
  fc.oneof(
    { weight: 8, arbitrary: fc.nat({ max: 3000 }).map(n => `ci-run-${n}`) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('nul-\u0000-id', '💥', 'é'.repeat(200)),
    },
  ),
  { nil: undefined, freq: 3 },
);

const sourceArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom('github-actions', 'argocd', 'jenkins'),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  },
);

const deploymentArb = fc
  .record({
    clusterId: fc.constantFrom(...CLUSTERS),
    serviceId: fc.constantFrom(...SERVICES),
    buildVersion: fc.constantFrom(...BUILDS),
    gitSha: fc.constantFrom('abc1234', 'DEADBEEF', '0123456789abcdef0123'),
    status: fc.constantFrom(...ATTEMPT_STATUSES),
    start: fc.integer({ min: 0, max: 200 }),
    duration: fc.integer({ min: 0, max: 30 }),
    nullEnd: fc.boolean(),
    trigger: fc.constantFrom(...TRIGGERS),
    identity: fc.oneof(
      fc.constant({}),
      fc.integer({ min: 0, max: 5 }).map(runNumber => ({ runNumber })),
      fc.integer({ min: 0, max: 5 }).map(n => ({ runNumber: String(n) })),
      fc.constantFrom(
        { runNumber: '9'.repeat(BOUNDS.length.runNumber) },
        { runNumber: Number.MAX_SAFE_INTEGER },
      ),
      fc
        .constantFrom(
          'gha-1',
          'gha-2',
          'ünïcode-run',
          '💥',
          'a'.repeat(400),
          '🚀'.repeat(BOUNDS.length.attemptId),
        )
        .map(attemptId => ({ attemptId })),
    ),
    commitBefore: fc.option(fc.integer({ min: 0, max: 60 }), {
      nil: undefined,
    }),
    failureReason: fc.option(
      fc.oneof(fc.constant('boom'), oddString, loneSurrogates),
      { nil: undefined },
    ),
    rollbackToBuild: fc.option(fc.constantFrom(...BUILDS), { nil: undefined }),
  })
  .map(d => {
    const at = (m: number) => new Date(BASE + m * 60_000).toISOString();
    const finished = d.status !== 'IN_PROGRESS';
    return {
      eventType: 'deployment',
      payload: {
        clusterId: d.clusterId,
        serviceId: d.serviceId,
        buildVersion: d.buildVersion,
        gitSha: d.gitSha,
        status: d.status,
        startedAt: at(d.start),
        ...(finished ? { endedAt: at(d.start + d.duration) } : {}),
        ...(!finished && d.nullEnd ? { endedAt: null } : {}),
        trigger: d.trigger,
        ...d.identity,
        ...(d.commitBefore !== undefined
          ? { commitAt: at(d.start - d.commitBefore) }
          : {}),
        ...(d.failureReason !== undefined
          ? { failureReason: d.failureReason }
          : {}),
        ...(d.rollbackToBuild ? { rollbackToBuild: d.rollbackToBuild } : {}),
      },
    };
  });

const testResultArb = fc
  .record({
    link: fc.oneof(
      fc
        .tuple(
          fc.constantFrom(...CLUSTERS),
          fc.constantFrom(...SERVICES),
          fc.constantFrom(...BUILDS),
          fc.integer({ min: 0, max: 5 }),
        )
        .map(parts => ({ attemptId: parts.join(':') })),
      fc.constantFrom('gha-1', 'gha-2', 'unknown-attempt').map(attemptId => ({
        attemptId,
      })),
      fc.record({
        clusterId: fc.constantFrom(...CLUSTERS),
        serviceId: fc.constantFrom(...SERVICES),
        buildVersion: fc.constantFrom(...BUILDS),
      }),
    ),
    suiteType: fc.constantFrom('FUNCTIONAL', 'SANITY', 'REGRESSION', 'E2E_2'),
    // At most BOUNDS.maxCount in all: the largest run the contract takes.
    passed: fc.oneof(fc.nat({ max: 100 }), fc.constant(BOUNDS.maxCount - 23)),
    failed: fc.nat({ max: 10 }),
    skipped: fc.nat({ max: 10 }),
    notRun: fc.nat({ max: 3 }),
    durationSec: fc.oneof(
      fc.nat({ max: 3600 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.constant(BOUNDS.maxDurationSec),
    ),
    executedAt: fc.oneof(
      {
        weight: 9,
        arbitrary: timestampArb(fc.integer({ min: -10, max: 240 })),
      },
      // A clock a little ahead, within the allowed skew.
      {
        weight: 1,
        arbitrary: fc
          .constant(null)
          .map(() =>
            new Date(
              Date.now() + BOUNDS.defaultFutureSkewSeconds * 1000 - 60_000,
            ).toISOString(),
          ),
      },
    ),
    reportUrl: fc.option(
      fc.constantFrom('https://ci.example.com/r/1', 'http://x.test/ü?a=1#b'),
      { nil: undefined },
    ),
  })
  .map(t => ({
    eventType: 'test-result',
    payload: {
      ...t.link,
      suiteType: t.suiteType,
      total: t.passed + t.failed + t.skipped + t.notRun,
      passed: t.passed,
      failed: t.failed,
      skipped: t.skipped,
      durationSec: t.durationSec,
      executedAt: t.executedAt,
      ...(t.reportUrl ? { reportUrl: t.reportUrl } : {}),
    },
  }));

const promotionArb = fc
  .record({
    serviceId: fc.constantFrom(...SERVICES),
    buildVersion: fc.constantFrom(...BUILDS),
    fromClusterId: fc.constantFrom(...CLUSTERS),
    toClusterId: fc.constantFrom(...CLUSTERS),
    promotedBy: fc.oneof(
      fc.constantFrom('alice', 'argo-bot'),
      loneSurrogates,
      fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    ),
    promotedAt: timestampArb(fc.integer({ min: 0, max: 240 })),
    promotionId: fc.option(fc.constantFrom('p-1', 'p-2', 'p-ü'), {
      nil: undefined,
    }),
  })
  .map(({ promotionId, ...p }) => ({
    eventType: 'promotion',
    payload: { ...p, ...(promotionId ? { promotionId } : {}) },
  }));

const clusterConfigArb = fc
  .record({
    id: fc.constantFrom(...CLUSTERS),
    name: fc.constantFrom('Mira', 'Pavo ✓', 'New'),
    type: fc.constantFrom('Development', 'Production'),
    role: fc.constantFrom('Primary', 'Secondary'),
    description: fc.option(fc.constantFrom('', 'first stop'), {
      nil: undefined,
    }),
    region: fc.option(fc.constantFrom('us-west-2', 'eu-west-1'), {
      nil: undefined,
    }),
  })
  .map(c => ({
    eventType: 'cluster-config',
    payload: Object.fromEntries(
      Object.entries(c).filter(([, v]) => v !== undefined),
    ),
  }));

/** A valid webhook event (single form). */
const validEventArb = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: deploymentArb },
      { weight: 3, arbitrary: testResultArb },
      { weight: 1, arbitrary: promotionArb },
      { weight: 1, arbitrary: clusterConfigArb },
    ),
    sourceArb,
    eventIdArb,
  )
  .map(([e, source, eventId]) => ({
    source,
    ...(eventId !== undefined ? { eventId } : {}),
    ...e,
  }));

// ------------------------------------------------------------- mutations

const EXTRA_KEYS = [
  'events',
  '__proto__',
  'constructor',
  'payload',
  'eventType',
  'extra',
  '💥',
  '',
];

type Mutation = {
  op: 'set' | 'delete' | 'numbersAsStrings' | 'wrap' | 'nullify';
  inPayload: boolean;
  keyIndex: number;
  value: unknown;
};

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom(
    'set',
    'set',
    'delete',
    'numbersAsStrings',
    'wrap',
    'nullify',
  ),
  inPayload: fc.boolean(),
  keyIndex: fc.nat(),
  value: weirdValue,
});

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function setOwn(target: Record<string, unknown>, key: string, value: unknown) {
  // defineProperty, so '__proto__' becomes an own (serialized) key.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function mutate(event: unknown, mutations: Mutation[]): unknown {
  let root: unknown = structuredClone(event);
  for (const m of mutations) {
    const holder = isObject(root) ? root : undefined;
    if (!holder) {
      root = m.op === 'wrap' ? [root] : root;
      continue;
    }
    const target =
      m.inPayload && isObject(holder.payload) ? holder.payload : holder;
    const keys = [...Object.keys(target), ...EXTRA_KEYS];
    const key = keys[m.keyIndex % keys.length];
    switch (m.op) {
      case 'set':
        setOwn(target, key, m.value);
        break;
      case 'delete':
        delete target[key];
        break;
      case 'nullify':
        setOwn(target, key, null);
        break;
      case 'numbersAsStrings':
        for (const [k, v] of Object.entries(target)) {
          if (typeof v === 'number') target[k] = String(v);
        }
        break;
      case 'wrap':
        if (m.keyIndex % 2) root = [root];
        else setOwn(target, key, [[target[key]]]);
        break;
      default:
        throw new Error(`unknown mutation ${m.op}`);
    }
  }
  return root;
}

const mutatedEventArb = fc
  .tuple(validEventArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([e, ms]) => mutate(e, ms));

// ----------------------------------------------------------------- bodies

interface Body {
  kind: string;
  bytes: Buffer | undefined;
  /** A valid event, unmutated: with good credentials it must be accepted. */
  pristine: boolean;
}

/** A body, shown briefly in fast-check's reports (bodies can be 200 kB). */
function body(kind: string, bytes: Buffer | undefined, pristine = false): Body {
  return {
    kind,
    bytes,
    pristine,
    [fc.toStringMethod]: () => {
      if (!bytes) return `${kind}: (no body)`;
      const text = bytes.toString('utf8');
      return `${kind} (${bytes.length} bytes): ${JSON.stringify(
        text.length > 600 ? `${text.slice(0, 600)}…` : text,
      )}`;
    },
  } as Body;
}

// Text the databases can't store exactly: the validator refuses it (400).
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string) =>
  text.includes('\u0000') || LONE_SURROGATE.test(text);

function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(
      ([k, v]) => unstorable(k) || hasUnstorableText(v),
    );
  }
  return false;
}

/** A generated valid event stays "pristine" only if it has storable text. */
const json = (kind: string, value: unknown, pristine = false): Body =>
  body(
    kind,
    Buffer.from(JSON.stringify(value), 'utf8'),
    pristine && !hasUnstorableText(value),
  );

const batchItemArb = fc.oneof(
  { weight: 5, arbitrary: validEventArb },
  { weight: 3, arbitrary: mutatedEventArb },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 12, arbitrary: validEventArb.map(e => json('valid', e, true)) },
  { weight: 30, arbitrary: mutatedEventArb.map(e => json('mutated', e)) },
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        fc.array(batchItemArb, { minLength: 0, maxLength: 25 }),
        fc.boolean(),
        fc.option(
          fc.dictionary(printable(1, 8), fc.jsonValue({ maxDepth: 1 })),
        ),
      )
      .map(([items, repeat, extra]) =>
        json('batch', {
          ...extra,
          // A re-sent item within one batch: stored once.
          events: repeat && items.length ? [...items, items[0]] : items,
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 501, max: 600 })
      .map(n => json('batch-too-long', { events: Array(n).fill({}) })),
  },
  {
    weight: 2,
    arbitrary: weirdValue.map(events => json('batch-not-array', { events })),
  },
  { weight: 8, arbitrary: fc.jsonValue().map(v => json('json', v)) },
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        fc
          .tuple(validEventArb, fc.double({ min: 0, max: 1, noNaN: true }))
          .map(([e, cut]) => {
            const text = JSON.stringify(e);
            return text.slice(0, Math.floor(text.length * cut));
          }),
        validEventArb.map(e => `${JSON.stringify(e)} trailing`),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          "{'source':'x'}",
          '{"source": ',
          'undefined',
          'NaN',
          '{"a":1,}',
          '[1,2',
          '\ufeff{}',
          '{"events":[}',
          '}{',
          '"unterminated',
          '01',
          '{"events":',
        ),
      )
      .map(text => body('text', Buffer.from(text, 'utf8'))),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(undefined, '', ' ', '\n\t ')
      .map(text =>
        body('empty', text === undefined ? undefined : Buffer.from(text)),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 200 })
      .map(a => body('bytes', Buffer.from(a))),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validEventArb, fc.integer({ min: 60_000, max: 200_000 }))
      .map(([e, n]) => json('huge', { ...e, padding: 'x'.repeat(n) })),
  },
);

// ------------------------------------------------------------ credentials

/** A header's value for a body; shown by its label in fast-check's reports. */
type HeaderSpec = (raw: Buffer) => string | undefined;

function header(label: string, value: HeaderSpec): HeaderSpec {
  return Object.assign(value, { [fc.toStringMethod]: () => label });
}

const constant = (v: string | undefined) =>
  header(JSON.stringify(v) ?? 'absent', () => v);

const keyArb = fc.constantFrom(...KEYS);
const nearMiss = fc.constantFrom(
  `${SECRET}x`,
  SECRET.slice(0, -1),
  SECRET.toUpperCase(),
  `${SECRET}\u00e9`,
  'fuzz-secret-012345678\u00ff',
);
const pad = fc.constantFrom('', ' ', '  ', '\t');
const garbage = fc.oneof(
  printable(0, 60),
  fc.string({
    unit: fc.integer({ min: 0x80, max: 0xff }).map(c => String.fromCharCode(c)),
    maxLength: 20,
  }),
);
const hmac = (secret: string, raw: Buffer) =>
  createHmac('sha256', secret).update(raw).digest('hex');

const secretHeaderArb: fc.Arbitrary<HeaderSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(constant(undefined)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyArb, pad, pad)
      .map(([k, a, b]) => constant(`${a}${k}${b}`)),
  },
  { weight: 2, arbitrary: nearMiss.map(constant) },
  { weight: 2, arbitrary: garbage.map(constant) },
);

const authorizationHeaderArb: fc.Arbitrary<HeaderSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(constant(undefined)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''),
        fc.constantFrom(' ', '  ', '\t', ''),
        fc.oneof(keyArb, nearMiss),
        pad,
      )
      .map(([scheme, sep, k, b]) => constant(`${scheme}${sep}${k}${b}`)),
  },
  { weight: 2, arbitrary: garbage.map(constant) },
);

const signatureHeaderArb: fc.Arbitrary<HeaderSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(constant(undefined)) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        secret: fc.oneof(keyArb, nearMiss),
        prefix: fc.constantFrom('sha256=', 'sha256=', 'SHA256=', 'sha1=', ''),
        upper: fc.boolean(),
        tamper: fc.constantFrom('none', 'none', 'body', 'truncate'),
      })
      .map(s =>
        header(`hmac ${JSON.stringify(s)}`, raw => {
          let hex = hmac(
            s.secret,
            s.tamper === 'body' ? Buffer.concat([raw, Buffer.from(' ')]) : raw,
          );
          if (s.tamper === 'truncate') hex = hex.slice(0, 63);
          return `${s.prefix}${s.upper ? hex.toUpperCase() : hex}`;
        }),
      ),
  },
  { weight: 2, arbitrary: garbage.map(v => constant(`sha256=${v}`)) },
);

/** What the contract accepts, from the header values the server receives. */
function expectAuthenticated(
  headers: Record<string, string | undefined>,
  raw: Buffer,
): boolean {
  // HTTP strips leading and trailing spaces and tabs from header values.
  const trim = (v: string | undefined) => v?.replace(/^[ \t]+|[ \t]+$/g, '');
  const secret = trim(headers['X-Webhook-Secret']);
  const bearer = trim(headers.Authorization)?.match(/^Bearer\s+(.+)$/i)?.[1];
  const signature = trim(headers['X-Signature-256'])?.match(
    /^sha256=([0-9a-fA-F]{64})$/,
  )?.[1];
  return KEYS.some(
    key =>
      secret === key ||
      bearer?.trim() === key ||
      signature?.toLowerCase() === hmac(key, raw),
  );
}

const requestArb = fc.record({
  body: bodyArb,
  // Most requests carry one well-formed credential (beside random others),
  // so most bodies get past authentication.
  credential: fc.option(
    fc.record({
      header: fc.constantFrom('secret', 'bearer', 'signature'),
      key: keyArb,
    }),
    { freq: 2, nil: undefined },
  ),
  secret: secretHeaderArb,
  authorization: authorizationHeaderArb,
  signature: signatureHeaderArb,
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-16',
    'application/octet-stream',
  ),
});

// ------------------------------------------------------------------ oracle

type Stored = { eventId: string; duplicate: boolean; attemptId?: string };

/**
 * Checks one answer against the contract: over the size limit 413; else
 * without valid credentials 401; else 202 (something accepted: stored, a
 * duplicate, or expired) or 400 (nothing accepted), with well-formed bodies. Returns what was stored and how many
 * events or bodies were refused after authentication.
 */
function judge(
  res: { status: number; body: any },
  req: { bytes: Buffer; authenticated: boolean; pristine: boolean },
): { violations: string[]; stored: Stored[]; refused: number } {
  const violations: string[] = [];
  const stored: Stored[] = [];
  let refused = 0;
  // Acknowledged but not written: older than the retention window.
  let expiredAnswers = 0;
  const answer = `${res.status} ${JSON.stringify(res.body).slice(0, 400)}`;
  const fail = (why: string) => violations.push(`${why}; answered ${answer}`);
  const errorName = res.body?.error?.name;

  const storedAnswer = (result: any) => {
    // A deployment's answer names its attempt (checked after the run).
    const { attemptId, ...a } = result ?? {};
    if (attemptId !== undefined && typeof attemptId !== 'string') {
      fail(`malformed attemptId in ${JSON.stringify(result)}`);
      return;
    }
    const keys = Object.keys(a).sort().join(',');
    if (
      typeof a?.eventId !== 'string' ||
      a.status !== 'stored' ||
      (a.duplicate !== undefined && a.duplicate !== true) ||
      (keys !== 'eventId,status' && keys !== 'duplicate,eventId,status')
    ) {
      // An event older than the retention window: answered, never written
      // (the final check finds no row for it).
      const expired =
        keys === 'eventId,expired,status' &&
        attemptId === undefined &&
        typeof a.eventId === 'string' &&
        a.status === 'stored' &&
        a.expired === true;
      if (expired) {
        expiredAnswers++;
        return;
      }
      fail(`malformed stored answer ${JSON.stringify(result)}`);
    } else {
      stored.push({
        eventId: a.eventId,
        duplicate: a.duplicate === true,
        ...(attemptId !== undefined ? { attemptId } : {}),
      });
    }
  };

  if (![202, 400, 401, 413].includes(res.status)) {
    fail('status outside 202/400/401/413');
  } else if (req.bytes.length > MAX_BODY_BYTES) {
    if (res.status !== 413 || errorName !== 'PayloadTooLargeError') {
      fail(`a ${req.bytes.length}-byte body must answer 413`);
    }
  } else if (!req.authenticated) {
    if (res.status !== 401 || errorName !== 'AuthenticationError') {
      fail('bad credentials must answer 401');
    }
  } else if (res.status === 401 || res.status === 413) {
    fail('good credentials and a body within the limit');
  } else if (Array.isArray(res.body?.results)) {
    const results: any[] = res.body.results;
    for (const a of results) {
      if (a?.status !== 'rejected') {
        storedAnswer(a);
      } else if (
        !Array.isArray(a.problems) ||
        a.problems.length === 0 ||
        !a.problems.every(
          (p: any) =>
            typeof p?.path === 'string' && typeof p?.message === 'string',
        )
      ) {
        fail(`rejected item without problems ${JSON.stringify(a)}`);
      } else {
        refused++;
      }
    }
    if (results.length === 0) fail('empty batch answer');
    // An expired event is accepted (nothing to retry), like a stored one.
    if (res.status !== (stored.length + expiredAnswers > 0 ? 202 : 400)) {
      fail('a batch answers 202 when it accepted something, else 400');
    }
  } else if (res.status === 202) {
    storedAnswer(res.body);
  } else if (
    errorName !== 'InputError' ||
    !Array.isArray(res.body.problems) ||
    res.body.problems.length === 0
  ) {
    fail('a 400 lists its problems');
  } else {
    refused++;
  }
  if (
    req.pristine &&
    req.authenticated &&
    req.bytes.length <= MAX_BODY_BYTES &&
    res.status !== 202
  ) {
    fail('a valid event with good credentials must be accepted');
  }
  return { violations, stored, refused };
}

// -------------------------------------------------------------------- test

describe('POST /ingest/webhook under fuzzing', () => {
  it('never fails, answers 202/400/401/413 as the contract says, and writes exactly what it acknowledges', async () => {
    const { server, knex } = await startBackend();
    const fresh: string[] = [];
    const duplicates: string[] = [];
    const answeredAttempts = new Set<string>();
    const statuses: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    let sent = 0;
    let refusedAfterAuth = 0;

    await fc.assert(
      fc.asyncProperty(requestArb, async r => {
        const bytes = r.body.bytes ?? Buffer.alloc(0);
        const headers: Record<string, string | undefined> = {
          'X-Webhook-Secret': r.secret(bytes),
          Authorization: r.authorization(bytes),
          'X-Signature-256': r.signature(bytes),
          'Content-Type': r.contentType,
        };
        if (r.credential?.header === 'secret') {
          headers['X-Webhook-Secret'] = r.credential.key;
        } else if (r.credential?.header === 'bearer') {
          headers.Authorization = `Bearer ${r.credential.key}`;
        } else if (r.credential?.header === 'signature') {
          headers['X-Signature-256'] = `sha256=${hmac(
            r.credential.key,
            bytes,
          )}`;
        }
        // Send the bytes as they are (superagent would JSON-encode a Buffer
        // under a JSON content type, and form-encode under a form one).
        let req = request(server)
          .post(WEBHOOK)
          .serialize(b => b);
        for (const [name, value] of Object.entries(headers)) {
          if (value !== undefined) req = req.set(name, value);
        }
        const res = await (r.body.bytes === undefined
          ? req
          : req.send(r.body.bytes));
        sent++;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        kinds[`${r.body.kind} ${res.status}`] =
          (kinds[`${r.body.kind} ${res.status}`] ?? 0) + 1;

        const verdict = judge(res, {
          bytes,
          authenticated: expectAuthenticated(headers, bytes),
          pristine: r.body.pristine,
        });
        expect(verdict.violations).toEqual([]);
        for (const a of verdict.stored) {
          (a.duplicate ? duplicates : fresh).push(a.eventId);
          // A duplicate names the attempt of its own content, not stored
          // when the fuzz reused an event id for another body.
          if (a.attemptId !== undefined && !a.duplicate) {
            answeredAttempts.add(a.attemptId);
          }
        }
        refusedAfterAuth += verdict.refused;
      }),
      { seed, numRuns: REQUESTS },
    );

    // eslint-disable-next-line no-console
    console.info(
      `webhook fuzz (seed ${seed}): ${sent} requests; by status ${JSON.stringify(
        statuses,
      )}; ${fresh.length} events stored, ${
        duplicates.length
      } duplicates; by kind ${JSON.stringify(kinds)}`,
    );
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    // The mix reached every branch.
    expect(Object.keys(statuses).sort()).toEqual(['202', '400', '401', '413']);

    // Exactly the acknowledged events were written, each once.
    expect(new Set(fresh).size).toBe(fresh.length);
    const ingested: Array<{
      event_id: string;
      event_type: string;
      payload: string;
    }> = await knex('dq_ingested_events').select(
      'event_id',
      'event_type',
      'payload',
    );
    expect(ingested.map(e => e.event_id).sort()).toEqual([...fresh].sort());
    const freshSet = new Set(fresh);
    expect(duplicates.filter(id => !freshSet.has(id))).toEqual([]);

    // Each stored event has its rows, and nothing else was written.
    const ids = async (table: string, column: string) =>
      new Set<string>(
        (await knex(table).select(column)).map(row => row[column]),
      );
    const attempts = await ids('dq_attempts', 'id');
    const testRuns = await ids('dq_test_runs', 'event_id');
    const promotions = await ids('dq_promotions', 'promotion_id');
    const clusters = await ids('dq_clusters', 'id');
    const expectedAttempts = new Set<string>();
    const missing: string[] = [];
    for (const e of ingested) {
      const p = JSON.parse(e.payload);
      if (e.event_type === 'deployment') {
        const id = deriveAttemptId(p as DeploymentPayload);
        expectedAttempts.add(id);
        if (!attempts.has(id)) missing.push(`attempt ${id} of ${e.event_id}`);
      } else if (e.event_type === 'test-result') {
        if (!testRuns.has(e.event_id)) missing.push(`test run ${e.event_id}`);
      } else if (e.event_type === 'promotion') {
        const id =
          p.promotionId ??
          `${p.serviceId}:${p.buildVersion}:${p.fromClusterId}:${
            p.toClusterId
          }:${Math.floor(Date.parse(p.promotedAt) / 1000)}`;
        if (!promotions.has(id)) missing.push(`promotion ${id}`);
      } else if (e.event_type === 'cluster-config') {
        if (!clusters.has(p.id)) missing.push(`cluster ${p.id}`);
      } else {
        missing.push(`unknown event type ${e.event_type}`);
      }
    }
    expect(missing).toEqual([]);
    expect([...attempts].filter(id => !expectedAttempts.has(id))).toEqual([]);
    // Every attempt id an answer to a stored event named is one the store wrote.
    expect([...answeredAttempts].filter(id => !attempts.has(id))).toEqual([]);
    expect([...testRuns].filter(id => !freshSet.has(id))).toEqual([]);

    // Refusals are recorded only for authenticated requests, at most once
    // each (the per-service records of a request naming several services
    // repeat its record's events for callers who may not see them all).
    const [{ n: rejected }] = await knex('dq_rejected_events')
      .whereNot('audience', 'restricted')
      .sum({ n: 'items' });
    expect(Number(rejected ?? 0)).toBeLessThanOrEqual(refusedAfterAuth);
  });

  // Text the databases can't store exactly — NUL (PostgreSQL refuses it) and
  // unpaired surrogates (PostgreSQL replaces them, so distinct ids would
  // collide) — is refused with a 400 naming the field, and nothing is stored.
  it('refuses NUL and unpaired surrogates in stored text', async () => {
    const { server, knex } = await startBackend();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['eventId', { eventId: 'run-\ud800' }, 'eventId'],
      ['eventId', { eventId: 'run-\udbff' }, 'eventId'],
      ['source', { source: 'ci\u0000' }, 'source'],
      [
        'failureReason',
        { failureReason: 'oops\u0000' },
        'payload.failureReason',
      ],
    ];
    for (const [, override, path] of cases) {
      const { failureReason: reason, ...envelopeFields } = override;
      const res = await request(server)
        .post(WEBHOOK)
        .set('X-Webhook-Secret', SECRET)
        .send({
          source: 'github-actions',
          eventType: 'deployment',
          ...envelopeFields,
          payload: {
            clusterId: 'mira-us-west-2',
            serviceId: 'authn',
            buildVersion: '1.0.0',
            gitSha: 'abc1234',
            status: reason ? 'FAILED' : 'IN_PROGRESS',
            startedAt: '2026-02-24T09:00:00Z',
            ...(reason
              ? { failureReason: reason, endedAt: '2026-02-24T09:05:00Z' }
              : {}),
            trigger: 'merge',
            runNumber: 1,
          },
        });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(
        res.body.problems.map((problem: { path: string }) => problem.path),
      ).toEqual([path]);
    }
    await expect(knex('dq_ingested_events').pluck('event_id')).resolves.toEqual(
      [],
    );
  });
});
