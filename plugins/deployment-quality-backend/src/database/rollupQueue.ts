import { Knex } from 'knex';
import { DAY_MS } from '../analytics/window';
import { chunks } from './chunks';
import type { RollupKind } from './rollups';

/**
 * The rollup queue, dq_rollup_dirty (migrations/20261125000000_rollup_queue.js
 * and 20261205000000_rollup_parking.js): rows a write queued, claimed by the
 * refresher, and the keys parked after their refresh failed on its own.
 */

/** One (kind, cluster, service, day) key with the queue rows that name it. */
export interface QueuedKey {
  kind: RollupKind;
  clusterId: string;
  serviceId: string;
  day: number;
  ids: string[];
  /** How often its refresh failed on its own so far. */
  failures: number;
}

/** A key whose refresh failed on its own, as the status route shows it. */
export interface ParkedKey {
  kind: RollupKind;
  clusterId: string;
  serviceId: string;
  day: number;
  failures: number;
  /** Epoch ms of the next try. */
  retryAt: number;
  error: string;
}

/** Longest error text kept per key: enough to tell the failure. */
const MAX_ERROR = 2000;

/** Rows of the same key as `d` that match `condition`. */
function sameKey(db: Knex, condition: (q: Knex.QueryBuilder) => void) {
  return db('dq_rollup_dirty as p')
    .select(db.raw('1'))
    .whereRaw('p.kind = d.kind')
    .whereRaw('p.cluster_id = d.cluster_id')
    .whereRaw('p.service_id = d.service_id')
    .whereRaw('p.day = d.day')
    .modify(condition);
}

/**
 * Queue rows whose key may be refreshed at `now`: every row of a parked key
 * waits for its retry, the rows writes queued since it was parked included,
 * so one bad key costs one failed refresh per retry, not one per write.
 */
export function dueRows(db: Knex, now: number): Knex.QueryBuilder {
  return db('dq_rollup_dirty as d').whereNotExists(
    sameKey(db, q => q.where('p.retry_at', '>', now)),
  );
}

/** Groups claimed rows by key, in the order they were first queued. */
function byKey(
  rows: Array<{
    id: unknown;
    kind: RollupKind;
    cluster_id: string;
    service_id: string;
    day: unknown;
    failures: unknown;
  }>,
): QueuedKey[] {
  const keys = new Map<string, QueuedKey>();
  for (const r of rows) {
    const id = `${r.kind}|${r.cluster_id}|${r.service_id}|${r.day}`;
    const key = keys.get(id) ?? {
      kind: r.kind,
      clusterId: r.cluster_id,
      serviceId: r.service_id,
      day: Number(r.day),
      ids: [],
      failures: 0,
    };
    key.ids.push(String(r.id));
    key.failures = Math.max(key.failures, Number(r.failures ?? 0));
    keys.set(id, key);
  }
  return [...keys.values()];
}

/**
 * Takes up to `limit` due rows off the queue, oldest first, in the caller's
 * transaction: a rollback puts them back. Claimed by id, not by key: a
 * write committing meanwhile queues rows this claim didn't see, and they
 * stay for the next refresh. Raw: knex drops `returning` from a delete on
 * SQLite.
 */
export async function claimDue(
  tx: Knex.Transaction,
  now: number,
  limit: number,
): Promise<QueuedKey[]> {
  const due = dueRows(tx, now).select('d.id').orderBy('d.id').limit(limit);
  const { sql, bindings } = due.toSQL();
  const result = await tx.raw(
    `delete from dq_rollup_dirty where id in (${sql})
     returning id, kind, cluster_id, service_id, day, failures`,
    bindings,
  );
  return byKey(result.rows ?? result);
}

/** Takes the rows of `keys` off the queue, in the caller's transaction. */
export async function deleteQueued(
  tx: Knex.Transaction,
  keys: QueuedKey[],
): Promise<void> {
  for (const ids of chunks(
    keys.flatMap(k => k.ids),
    500,
  )) {
    await tx('dq_rollup_dirty').whereIn('id', ids).delete();
  }
}

/**
 * Back-off of a key after its `failures`-th failure: doubling from `minMs`
 * up to `maxMs`, so a key that stays bad costs one try an hour.
 */
export function retryDelay(failures: number, minMs: number, maxMs: number) {
  return Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

/**
 * Parks a key: every row of it, those queued since the claim included,
 * waits until `retryAt`. Outside any transaction, so the failure that
 * rolled the refresh back is kept.
 */
export async function park(db: Knex, key: ParkedKey): Promise<void> {
  await db('dq_rollup_dirty')
    .where({
      kind: key.kind,
      cluster_id: key.clusterId,
      service_id: key.serviceId,
      day: key.day,
    })
    .update({
      failures: key.failures,
      retry_at: key.retryAt,
      error: key.error.slice(0, MAX_ERROR),
    });
}

/**
 * How many rows wait for a refresh, and since when (epoch ms), not
 * counting the keys parked after a failure: those have their own report.
 */
export async function backlog(
  db: Knex,
): Promise<{ queuedKeys: number; oldestQueuedAt?: number }> {
  const [row] = await db('dq_rollup_dirty as d')
    .whereNotExists(sameKey(db, q => q.whereNotNull('p.retry_at')))
    .count({ n: '*' })
    .min({ oldest: 'd.queued_at' });
  return {
    queuedKeys: Number(row.n),
    ...(row.oldest === null || row.oldest === undefined
      ? {}
      : { oldestQueuedAt: Number(row.oldest) }),
  };
}

/**
 * The keys parked after a failed refresh (until one succeeds): how many,
 * and the `limit` that have waited longest.
 */
export async function parkedKeys(
  db: Knex,
  limit: number,
): Promise<{ count: number; keys: ParkedKey[] }> {
  const keyColumns = ['kind', 'cluster_id', 'service_id', 'day'];
  const failed = () =>
    db('dq_rollup_dirty').whereNotNull('retry_at').groupBy(keyColumns);
  const [[counted], rows]: [
    Array<Record<string, any>>,
    Array<Record<string, any>>,
  ] = await Promise.all([
    db.from(failed().select(db.raw('1 as one')).as('k')).count({ n: '*' }),
    failed()
      .select(keyColumns)
      .max({ failures: 'failures', retry_at: 'retry_at', error: 'error' })
      .min({ since: 'queued_at' })
      .orderBy([
        { column: 'since', order: 'asc' },
        ...keyColumns.map(column => ({ column, order: 'asc' as const })),
      ])
      .limit(limit),
  ]);
  return {
    count: Number(counted.n),
    keys: rows.map(r => ({
      kind: r.kind,
      clusterId: r.cluster_id,
      serviceId: r.service_id,
      day: Number(r.day),
      failures: Number(r.failures),
      retryAt: Number(r.retry_at),
      error: String(r.error ?? ''),
    })),
  };
}

const ROLLUP_NAMES = new Map<RollupKind, RollupName>([
  ['s', 'attempts-by-start'],
  ['e', 'attempts-by-end'],
  ['t', 'test-runs'],
]);

/** The rollups as metrics and `GET /status` name them. */
export type RollupName = 'attempts-by-start' | 'attempts-by-end' | 'test-runs';

/** The name of a queue kind: attempts by start or end day, or test runs. */
export const rollupName = (kind: RollupKind): RollupName =>
  ROLLUP_NAMES.get(kind)!;

/** A rollup day as the UTC date it stands for. */
export const dayLabel = (day: number) =>
  new Date(day * DAY_MS).toISOString().slice(0, 10);
