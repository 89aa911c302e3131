// @ts-check

/**
 * Cluster validations: suites run against a whole cluster-region (a nightly
 * conformance or smoke job), not a service's build
 * (src/database/ClusterValidations.ts).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_cluster_test_runs', table => {
    table.bigIncrements('id');
    table.string('event_id', 200).notNullable().unique();
    table.string('cluster_id', 64).notNullable();
    table.string('suite', 100).notNullable();
    table.integer('total').notNullable();
    table.integer('passed').notNullable();
    table.integer('failed').notNullable();
    table.integer('skipped').notNullable();
    table.double('duration_sec').notNullable();
    table.bigInteger('executed_at').notNullable();
    table.string('report_url', 2000).nullable();
    // JSON object of up to 20 short labels, as sent.
    table.text('labels').nullable();
    // A cluster's suites newest first; retention's "latest of each suite".
    table.index(['cluster_id', 'suite', 'executed_at'], 'dq_ctr_suite_time');
    table.index(['executed_at'], 'dq_ctr_time');
  });
  // Each (cluster, suite)'s newest run, written with the runs: the overview
  // counts failing validations from this, not from the history.
  await knex.schema.createTable('dq_cluster_validation_latest', table => {
    table.string('cluster_id', 64).notNullable();
    table.string('suite', 100).notNullable();
    table.bigInteger('row_id').notNullable();
    table.bigInteger('executed_at').notNullable();
    table.integer('failed').notNullable();
    table.primary(['cluster_id', 'suite']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_cluster_validation_latest');
  await knex.schema.dropTable('dq_cluster_test_runs');
};
