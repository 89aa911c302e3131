// @ts-check

/**
 * Retention deletes by age in small batches: each batch finds its rows
 * through an index on the time column instead of scanning the table.
 * dq_retention_runs records each run (once per schedule across replicas),
 * for the status route and to prove the schedule ran once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dq_attempts', table => {
    table.index(['started_at'], 'dq_attempts_started_idx');
  });
  await knex.schema.alterTable('dq_test_runs', table => {
    table.index(['executed_at'], 'dq_test_runs_executed_idx');
  });
  await knex.schema.alterTable('dq_promotions', table => {
    table.index(['promoted_at'], 'dq_promotions_promoted_idx');
  });
  await knex.schema.createTable('dq_retention_runs', table => {
    table.comment('Each retention run: when, the cutoff, and what it deleted');
    table.bigIncrements('id');
    table.bigInteger('started_at').notNullable();
    table.bigInteger('finished_at').notNullable();
    table.bigInteger('cutoff').notNullable();
    table.text('deleted').notNullable();
    table.index(['started_at'], 'dq_retention_runs_started_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_retention_runs');
  await knex.schema.alterTable('dq_promotions', table => {
    table.dropIndex([], 'dq_promotions_promoted_idx');
  });
  await knex.schema.alterTable('dq_test_runs', table => {
    table.dropIndex([], 'dq_test_runs_executed_idx');
  });
  await knex.schema.alterTable('dq_attempts', table => {
    table.dropIndex([], 'dq_attempts_started_idx');
  });
};
