import { Knex } from 'knex';
import {
  DETAILS_WITHHELD,
  StatusReporter,
  StatusReporterOptions,
} from './StatusReporter';

const NONE_PARKED = { count: 0, keys: [] };

/** A reporter over fakes: all is well unless `options` say otherwise. */
const reporterWith = (options: Partial<StatusReporterOptions> = {}) =>
  new StatusReporter({
    db: { raw: async () => [] } as unknown as Knex,
    store: { retentionRuns: async () => ({ count: 0 }) },
    retentionDays: 90,
    rollups: {
      backlog: async () => ({ queuedKeys: 0 }),
      parked: async () => NONE_PARKED,
    },
    metrics: { lastIngestLagSeconds: undefined },
    ...options,
  });

/** The database answers, the queue holds `backlog`. */
const reporter = (backlog: { queuedKeys: number; oldestQueuedAt?: number }) =>
  reporterWith({
    rollups: { backlog: async () => backlog, parked: async () => NONE_PARKED },
  });

describe('StatusReporter', () => {
  it('reports the rollup queue, and a problem once keys wait over a minute', async () => {
    const idle = await reporter({ queuedKeys: 0 }).status({ details: true });
    expect(idle.ok).toBe(true);
    expect(idle.rollups).toEqual({ queuedKeys: 0, parkedKeys: 0 });

    const recent = Date.now() - 1_000;
    const busy = await reporter({
      queuedKeys: 40,
      oldestQueuedAt: recent,
    }).status({ details: true });
    expect(busy.ok).toBe(true);
    expect(busy.rollups).toEqual({
      queuedKeys: 40,
      oldestQueuedAt: new Date(recent).toISOString(),
      parkedKeys: 0,
    });

    const stuck = await reporter({
      queuedKeys: 7,
      oldestQueuedAt: Date.now() - 120_000,
    }).status({ details: true });
    expect(stuck.ok).toBe(false);
    expect(stuck.problems).toEqual([
      '7 rollup key(s) queued for over 60 s: the rollup refresh is failing or behind (see the backend log)',
    ]);
  });
});

describe('StatusReporter under many callers', () => {
  it('shares a check under way, and checks again once it is done', async () => {
    let queries = 0;
    let release = () => {};
    const db = {
      raw: () => {
        queries++;
        return new Promise<void>(resolve => {
          release = resolve;
        });
      },
    } as unknown as Knex;
    const status = reporterWith({ db });
    const answers = Array.from({ length: 50 }, () =>
      status.status({ details: false }),
    );
    expect(queries).toBe(1);
    release();
    const [first, ...rest] = await Promise.all(answers);
    expect(rest.every(a => a === first)).toBe(true);
    const next = status.status({ details: false });
    expect(queries).toBe(2);
    release();
    await expect(next).resolves.toMatchObject({ ok: true });
  });
});

describe('StatusReporter parked rollup keys', () => {
  const error = 'insert into "dq_test_days" … - integer overflow';
  const parkedReporter = reporterWith({
    rollups: {
      backlog: async () => ({ queuedKeys: 0 }),
      parked: async () => ({
        count: 3,
        keys: [
          {
            kind: 't' as const,
            clusterId: 'mira-us-west-2',
            serviceId: 'authn',
            day: 20508,
            failures: 2,
            retryAt: Date.parse('2026-02-24T10:00:00Z'),
            error,
          },
        ],
      }),
    },
  });

  it('counts them as a problem, and lists them with their errors for readers', async () => {
    const status = await parkedReporter.status({ details: true });
    expect(status.ok).toBe(false);
    expect(status.problems).toEqual([
      '3 rollup key(s) failed to refresh and are parked, retried with back-off: the analytics and cluster totals of their days may be stale (see the backend log)',
    ]);
    expect(status.rollups).toEqual({
      queuedKeys: 0,
      parkedKeys: 3,
      parked: [
        {
          rollup: 'test-runs',
          clusterId: 'mira-us-west-2',
          serviceId: 'authn',
          day: '2026-02-24',
          failures: 2,
          retryAt: '2026-02-24T10:00:00.000Z',
          error,
        },
      ],
    });
  });

  it('shows others only how many: the keys name services, the errors quote values', async () => {
    const status = await parkedReporter.status({ details: false });
    expect(status.rollups).toEqual({ queuedKeys: 0, parkedKeys: 3 });
    expect(JSON.stringify(status)).not.toContain('authn');
    expect(JSON.stringify(status)).not.toContain('overflow');
  });
});

describe('StatusReporter error details', () => {
  const secret = 'select * from "dq_attempts" - password authentication failed';
  /** Everything failing, each failure quoting the secret. */
  const failing = reporterWith({
    db: {
      raw: async () => {
        throw new Error(secret);
      },
    } as unknown as Knex,
    queue: { latest: { depth: 3, error: `GetQueueAttributes: ${secret}` } },
    consumer: {
      state: {
        state: 'backing-off',
        reason: `receive failed: ${secret}`,
        receiveErrors: 1,
        failedWrites: 0,
      },
    },
  });

  it('shows them when asked to', async () => {
    const status = await failing.status({ details: true });
    expect(status.database.error).toContain(secret);
    expect(status.ingestion.queue?.error).toContain(secret);
    expect(status.ingestion.consumer?.reason).toContain(secret);
    expect(status.problems.every(p => p.includes(secret))).toBe(true);
  });

  it('answers the same status with every error text withheld otherwise', async () => {
    const full = await failing.status({ details: true });
    const withheld = await failing.status({ details: false });
    expect(JSON.stringify(withheld)).not.toContain('dq_attempts');
    expect(JSON.stringify(withheld)).not.toContain('password');
    expect(withheld).toEqual({
      ...full,
      checkedAt: expect.any(String),
      problems: [
        `The database is unreachable: ${DETAILS_WITHHELD}`,
        `The SQS consumer is backing off: ${DETAILS_WITHHELD}`,
        `The queue can't be read: ${DETAILS_WITHHELD}`,
      ],
      database: { ok: false, error: DETAILS_WITHHELD },
      ingestion: {
        ...full.ingestion,
        consumer: { ...full.ingestion.consumer, reason: DETAILS_WITHHELD },
        queue: { depth: 3, error: DETAILS_WITHHELD },
      },
    });
  });
});
