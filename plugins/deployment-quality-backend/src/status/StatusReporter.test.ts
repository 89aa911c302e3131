import { Knex } from 'knex';
import { StatusReporter } from './StatusReporter';

/** A reporter over fakes: the database answers, the queue holds `backlog`. */
const reporter = (backlog: { queuedKeys: number; oldestQueuedAt?: number }) =>
  new StatusReporter({
    db: { raw: async () => [] } as unknown as Knex,
    store: { retentionRuns: async () => ({ count: 0 }) },
    retentionDays: 90,
    rollups: { backlog: async () => backlog },
    metrics: { lastIngestLagSeconds: undefined },
  });

describe('StatusReporter', () => {
  it('reports the rollup queue, and a problem once keys wait over a minute', async () => {
    const idle = await reporter({ queuedKeys: 0 }).status();
    expect(idle.ok).toBe(true);
    expect(idle.rollups).toEqual({ queuedKeys: 0 });

    const recent = Date.now() - 1_000;
    const busy = await reporter({
      queuedKeys: 40,
      oldestQueuedAt: recent,
    }).status();
    expect(busy.ok).toBe(true);
    expect(busy.rollups).toEqual({
      queuedKeys: 40,
      oldestQueuedAt: new Date(recent).toISOString(),
    });

    const stuck = await reporter({
      queuedKeys: 7,
      oldestQueuedAt: Date.now() - 120_000,
    }).status();
    expect(stuck.ok).toBe(false);
    expect(stuck.problems).toEqual([
      '7 rollup key(s) queued for over 60 s: the rollup refresh is failing or behind (see the backend log)',
    ]);
  });
});
