// @ts-check

/**
 * The rollup queue: the (kind, cluster, service, day) keys whose rollups a
 * committed write left stale. Writers only append here, so they never wait
 * on one another over a shared key; the refresher (src/database/rollups.ts)
 * claims rows, recomputes their keys and bumps the rollups' generation in
 * one transaction. Kinds: s, e (dq_attempt_days), t (dq_test_days).
 *
 * And dq_attempt_totals: attempts per (cluster, service, status) over all
 * the days kept, summed from dq_attempt_days by the same refresh, so a
 * cluster summary adds a few hundred rows instead of every day's.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_rollup_dirty', table => {
    table.comment('Rollup keys stale since a committed write, oldest first');
    table.bigIncrements('id').primary();
    table.string('kind', 1).notNullable();
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.integer('day').notNullable();
    // Epoch ms: how far behind the refresh is (GET /status).
    table.bigInteger('queued_at').notNullable();
  });
  await knex.schema.createTable('dq_attempt_totals', table => {
    table.comment('Attempts per cluster, service and status, all days kept');
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.string('status', 16).notNullable();
    table.bigInteger('n').notNullable();
    table.primary(['cluster_id', 'service_id', 'status']);
  });
  // The totals of a pair sum its start days.
  await knex.schema.alterTable('dq_attempt_days', table => {
    table.index(
      ['kind', 'cluster_id', 'service_id', 'day'],
      'dq_attempt_days_pair_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_attempt_days', table => {
    table.dropIndex([], 'dq_attempt_days_pair_idx');
  });
  await knex.schema.dropTable('dq_attempt_totals');
  await knex.schema.dropTable('dq_rollup_dirty');
};
