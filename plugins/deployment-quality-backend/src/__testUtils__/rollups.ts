import { Knex } from 'knex';

/** The rollup tables as plain rows, in key order. */
export async function rollupRows(knex: Knex) {
  const plain = (rows: Array<Record<string, unknown>>) =>
    rows.map(r =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])),
    );
  return {
    attempts: plain(
      await knex('dq_attempt_days').orderBy([
        'kind',
        'day',
        'cluster_id',
        'service_id',
        'status',
      ]),
    ),
    tests: plain(
      await knex('dq_test_days').orderBy([
        'day',
        'cluster_id',
        'service_id',
        'suite_type',
      ]),
    ),
    totals: plain(
      await knex('dq_attempt_totals').orderBy([
        'cluster_id',
        'service_id',
        'status',
      ]),
    ),
  };
}
