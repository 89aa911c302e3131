import { Knex } from 'knex';
import { chunks } from './chunks';

/**
 * What each (cluster, service) pair runs, kept on its dq_service_clusters
 * row: its latest attempt (by start: id, status, start) and its current
 * version (of the latest finished attempt that set one). Every fleet view reads these,
 * so they are written with the attempts, in the same transaction, rather
 * than found again by two index probes per pair on every read: at 30,000
 * pairs those probes took a second per request.
 */

export interface Pair {
  clusterId: string;
  serviceId: string;
}

/** Bump when the derivation changes: the next start recomputes every pair. */
const PAIR_STATES_VERSION = 1;
const PAIR_STATES = 'pair-states';

const OUTER = 'dq_service_clusters';

/** An attempt that sets its pair's version: a success, or a rollback naming its target. */
export function setsVersion(alias: string) {
  return (q: Knex.QueryBuilder) =>
    q
      .whereIn(`${alias}.status`, ['SUCCESS', 'LIVE'])
      .orWhere(q2 =>
        q2
          .where(`${alias}.status`, 'ROLLBACK')
          .whereNotNull(`${alias}.rollback_to_build`),
      );
}

/** The outer pair row's attempts (correlated with the row being updated). */
function attemptsOfPair(db: Knex) {
  return db('dq_attempts as a')
    .where('a.cluster_id', db.ref(`${OUTER}.cluster_id`))
    .where('a.service_id', db.ref(`${OUTER}.service_id`));
}

function stateColumns(db: Knex) {
  // One probe of the pair's (cluster, service, started_at) index each: an
  // update can't read the latest attempt's id it is setting.
  const latest = (column: string) =>
    attemptsOfPair(db)
      .select(`a.${column}`)
      .orderBy([
        { column: 'a.started_at', order: 'desc' },
        { column: 'a.id', order: 'desc' },
      ])
      .limit(1);
  return {
    latest_attempt_id: latest('id'),
    latest_status: latest('status'),
    latest_started_at: latest('started_at'),
    current_version: attemptsOfPair(db)
      .select(
        db.raw(
          "case when a.status = 'ROLLBACK' then a.rollback_to_build else a.build_version end",
        ),
      )
      .whereNotNull('a.ended_at')
      .where(setsVersion('a'))
      .orderBy([
        { column: 'a.ended_at', order: 'desc' },
        { column: 'a.id', order: 'desc' },
      ])
      .limit(1),
  };
}

/**
 * Recomputes the state of `pairs` from their attempts, inside the
 * transaction that changed them. On PostgreSQL the rows are locked first, in
 * one order, by a statement of their own: the update that follows then
 * reads a snapshot taken after any concurrent writer of the same pair
 * committed, so its attempt can't be missed.
 */
export async function refreshPairStates(tx: Knex.Transaction, pairs: Pair[]) {
  const unique = [
    ...new Map(
      pairs.map(p => [`${p.clusterId}\u0000${p.serviceId}`, p]),
    ).values(),
  ].sort((a, b) =>
    a.clusterId === b.clusterId
      ? a.serviceId.localeCompare(b.serviceId)
      : a.clusterId.localeCompare(b.clusterId),
  );
  for (const chunk of chunks(unique, 200)) {
    const these = (q: Knex.QueryBuilder) =>
      q.where(any =>
        chunk.forEach(p =>
          any.orWhere(b =>
            b.where('cluster_id', p.clusterId).where('service_id', p.serviceId),
          ),
        ),
      );
    if (tx.client.config.client === 'pg') {
      await tx(OUTER)
        .modify(these)
        .orderBy(['cluster_id', 'service_id'])
        .select('cluster_id')
        .forUpdate();
    }
    await tx(OUTER).modify(these).update(stateColumns(tx));
  }
}

/**
 * Recomputes every pair once per derivation version: after the migration
 * that added the columns, or a bulk load that left them empty.
 */
export async function ensurePairStates(db: Knex): Promise<boolean> {
  const current = async (q: Knex) =>
    (await q('dq_derived').where('name', PAIR_STATES).first())?.version ===
    PAIR_STATES_VERSION;
  if (await current(db)) return false;
  return db.transaction(async tx => {
    if (tx.client.config.client === 'pg') {
      await tx.raw(`lock table ${OUTER} in exclusive mode`);
    }
    if (await current(tx)) return false;
    await tx(OUTER).update(stateColumns(tx));
    await tx('dq_derived')
      .insert({ name: PAIR_STATES, version: PAIR_STATES_VERSION })
      .onConflict('name')
      .merge();
    return true;
  });
}
