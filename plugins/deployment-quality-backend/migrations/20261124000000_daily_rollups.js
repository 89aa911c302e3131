// @ts-check

/**
 * Daily rollups: per UTC day, (cluster, service) and status or suite, the
 * counts and sums the analytics and the cluster summaries add up, so a
 * 90-day answer reads thousands of rows instead of a million. They are
 * derived data, kept exact by the rollup refresh after each ingest and
 * retention write (see src/database/rollups.ts), and filled by the store on
 * the first start after this migration: `dq_derived` records which
 * derivation version they hold.
 *
 * Test runs whose attempt hasn't arrived (no cluster or service yet) are
 * rolled up under ''.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_attempt_days', table => {
    table.comment(
      'Attempts per UTC day: kind s by startedAt (all), e by endedAt (finished, with the lead-time sum)',
    );
    table.string('kind', 1).notNullable();
    table.integer('day').notNullable();
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.string('status', 16).notNullable();
    table.integer('n').notNullable();
    table.bigInteger('lead_sum').notNullable();
    table.primary(['kind', 'day', 'cluster_id', 'service_id', 'status']);
    table.index(['kind', 'service_id', 'day'], 'dq_attempt_days_service_idx');
    table.index(['kind', 'cluster_id', 'day'], 'dq_attempt_days_cluster_idx');
  });
  await knex.schema.createTable('dq_test_days', table => {
    table.comment('Test runs per UTC day of executedAt and suite');
    table.integer('day').notNullable();
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.string('suite_type', 64).notNullable();
    table.bigInteger('passed').notNullable();
    table.bigInteger('total').notNullable();
    table.primary(['day', 'cluster_id', 'service_id', 'suite_type']);
    table.index(['service_id', 'day'], 'dq_test_days_service_idx');
    table.index(['cluster_id', 'day'], 'dq_test_days_cluster_idx');
  });
  await knex.schema.createTable('dq_derived', table => {
    table.comment('Which derivation version each derived table holds');
    table.string('name', 64).primary();
    table.integer('version').notNullable();
  });
  // The recomputation of one (cluster, service, day) reads these ranges.
  await knex.schema.alterTable('dq_test_runs', table => {
    table.index(
      ['cluster_id', 'service_id', 'executed_at'],
      'dq_test_runs_pair_executed_idx',
    );
  });
  // Deploys by end time across all services (DORA percentiles).
  await knex.schema.alterTable('dq_attempts', table => {
    table.index(['ended_at'], 'dq_attempts_ended_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_attempts', table => {
    table.dropIndex([], 'dq_attempts_ended_idx');
  });
  await knex.schema.alterTable('dq_test_runs', table => {
    table.dropIndex([], 'dq_test_runs_pair_executed_idx');
  });
  await knex.schema.dropTable('dq_derived');
  await knex.schema.dropTable('dq_test_days');
  await knex.schema.dropTable('dq_attempt_days');
};
