import { Knex } from 'knex';
import {
  DeploymentQualityStore,
  RetentionCounts,
} from '../database/DeploymentQualityStore';

const DAY_MS = 86_400_000;

/** An ISO time `n` days before now. */
export const daysAgo = (n: number) =>
  new Date(Date.now() - n * DAY_MS).toISOString();

/**
 * Runs retention with a window of `days` (one row per statement, so every
 * batch boundary is crossed) and answers what `table` kept: each row's
 * `key` and age in whole days, oldest first.
 */
export async function afterRetention(
  store: Pick<DeploymentQualityStore, 'deleteOlderThan'>,
  knex: Knex,
  spec: { days: number; table: string; key: string; time: string },
): Promise<{ deleted: RetentionCounts; kept: Array<[string, number]> }> {
  const deleted = await store.deleteOlderThan(
    new Date(Date.now() - spec.days * DAY_MS),
    { batchSize: 1 },
  );
  const rows = await knex(spec.table)
    .orderBy(spec.time)
    .select(spec.key, spec.time);
  return {
    deleted,
    kept: rows.map(r => [
      r[spec.key],
      Math.round((Date.now() - Number(r[spec.time])) / DAY_MS),
    ]),
  };
}
