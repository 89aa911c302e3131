import { Knex } from 'knex';

/**
 * Counters in `dq_derived` that move with every write of what they count
 * (the rollups, cost figures, other tools' scorecards): answers cached
 * across requests and replicas key on them. Moved in the writer's
 * transaction, so an answer computed before the commit is keyed on the
 * old value and one computed after sees the new.
 */
export async function bumpVersion(
  tx: Knex.Transaction,
  name: string,
): Promise<void> {
  const updated = await tx('dq_derived')
    .where('name', name)
    .increment('version', 1);
  if (!updated) {
    await tx('dq_derived')
      .insert({ name, version: 1 })
      .onConflict('name')
      .merge({ version: tx.raw('dq_derived.version + 1') });
  }
}

/** The counter's value; 0 before its first write. */
export async function readVersion(db: Knex, name: string): Promise<number> {
  const row = await db('dq_derived').where('name', name).first('version');
  return Number(row?.version ?? 0);
}
