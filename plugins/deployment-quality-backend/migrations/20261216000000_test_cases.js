// @ts-check

/**
 * Per-test history from the JUnit and CTRF reports, read and written by
 * src/database/TestCases.ts. Compact on purpose (see src/reports/caseEncoding.ts):
 * a name dictionary, the distinct sets of tests runs executed, one blob of
 * outcomes per run, and a row only per failed or retried test.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_test_cases', table => {
    table.bigIncrements('id');
    // sha1 of suite, class and name: the names may be long.
    table.string('case_key', 40).notNullable().unique();
    table.text('suite').notNullable();
    table.text('class_name').notNullable();
    table.text('name').notNullable();
  });
  await knex.schema.createTable('dq_test_case_sets', table => {
    table.bigIncrements('id');
    // sha1 of the sorted case keys.
    table.string('set_key', 40).notNullable().unique();
    table.integer('size').notNullable();
    table.binary('case_ids').notNullable();
  });
  await knex.schema.createTable('dq_test_run_cases', table => {
    // The test-result event (dq_test_runs.event_id) the cases belong to.
    table.string('event_id', 200).primary();
    table.bigInteger('executed_at').notNullable();
    table.bigInteger('case_set_id').notNullable();
    table.binary('outcomes').notNullable();
    table.index(['executed_at'], 'dq_test_run_cases_time');
    table.index(['case_set_id'], 'dq_test_run_cases_set');
  });
  await knex.schema.createTable('dq_failure_signatures', table => {
    table.bigIncrements('id');
    table.string('signature_key', 40).notNullable().unique();
    table.text('signature').notNullable();
  });
  await knex.schema.createTable('dq_test_case_failures', table => {
    table.bigIncrements('id');
    table.string('event_id', 200).notNullable();
    table.bigInteger('case_id').notNullable();
    // The final outcome: failed, or passed after failed retries.
    table.string('status', 16).notNullable();
    table.integer('retries').notNullable();
    table.bigInteger('signature_id').nullable();
    table.text('message').nullable();
    table.bigInteger('executed_at').notNullable();
    table.index(['event_id'], 'dq_test_case_failures_run');
    table.index(['case_id', 'executed_at'], 'dq_test_case_failures_case');
    table.index(['executed_at'], 'dq_test_case_failures_time');
  });
  // The runs of one service in a window, for its flaky tests.
  await knex.schema.alterTable('dq_test_runs', table => {
    table.index(['service_id', 'executed_at'], 'dq_test_runs_service_time');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_test_runs', table => {
    table.dropIndex(['service_id', 'executed_at'], 'dq_test_runs_service_time');
  });
  await knex.schema.dropTable('dq_test_case_failures');
  await knex.schema.dropTable('dq_failure_signatures');
  await knex.schema.dropTable('dq_test_run_cases');
  await knex.schema.dropTable('dq_test_case_sets');
  await knex.schema.dropTable('dq_test_cases');
};
