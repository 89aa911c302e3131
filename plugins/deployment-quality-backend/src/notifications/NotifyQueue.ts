import { Knex } from 'knex';
import { INSERT_ROWS, chunks } from '../database/chunks';

/** What a stored event may have to tell the owners about. */
export type NotifyKind = 'attempt' | 'tests';

export interface QueuedNotification {
  id: number;
  kind: NotifyKind;
  attemptId: string;
  tries: number;
}

/** Attempts in these states are told of (deploymentFailed). */
export const FAILED_STATES = ['FAILED', 'ROLLBACK'];

/** Tries before an item whose handling keeps failing is given up (and logged). */
export const MAX_TRIES = 8;

/**
 * Queues, in the transaction that stores them, the attempts that failed and
 * those a test run arrived for, so what the owners are to hear of survives
 * a crash right after the commit. One row per attempt and kind: a second
 * test run of an attempt still waiting joins the first.
 */
export async function enqueueNotifications(
  tx: Knex.Transaction,
  items: Array<{ kind: NotifyKind; attemptId: string; dueAt: number }>,
): Promise<void> {
  for (const chunk of chunks(items, INSERT_ROWS)) {
    await tx('dq_notify_queue')
      .insert(
        chunk.map(i => ({
          kind: i.kind,
          attempt_id: i.attemptId,
          due_at: i.dueAt,
          tries: 0,
        })),
      )
      .onConflict(['kind', 'attempt_id'])
      .ignore();
  }
}

/** The notifier's side of the outbox: due items, done, and tried again later. */
export class NotifyQueue {
  constructor(private readonly db: Knex) {}

  async due(now: number, limit: number): Promise<QueuedNotification[]> {
    const rows = await this.db('dq_notify_queue')
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(limit)
      .select('id', 'kind', 'attempt_id', 'tries');
    return rows.map(r => ({
      id: Number(r.id),
      kind: r.kind,
      attemptId: r.attempt_id,
      tries: Number(r.tries),
    }));
  }

  async done(ids: number[]): Promise<void> {
    for (const chunk of chunks(ids, 500)) {
      await this.db('dq_notify_queue').whereIn('id', chunk).delete();
    }
  }

  /** Again after a back-off that doubles per try (from 30 s, at most an hour). */
  async later(item: QueuedNotification, now: number): Promise<void> {
    const delay = Math.min(30_000 * 2 ** item.tries, 3_600_000);
    await this.db('dq_notify_queue')
      .where('id', item.id)
      .update({ tries: item.tries + 1, due_at: now + delay });
  }

  async size(): Promise<number> {
    const [{ n }] = await this.db('dq_notify_queue').count({ n: '*' });
    return Number(n);
  }
}
