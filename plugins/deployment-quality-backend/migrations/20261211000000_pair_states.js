// @ts-check

/**
 * Each (cluster, service) pair's state on its row: its latest attempt (id,
 * status, start) and its current version, written with the attempts (src/database/pairStates.ts)
 * instead of probed per pair on every fleet read. Filled for existing rows
 * by the next start (ensurePairStates).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dq_service_clusters', table => {
    table.string('latest_attempt_id', 400).nullable();
    // Of the latest attempt, so fleet lists and counts read this row alone.
    table.string('latest_status', 16).nullable();
    table.bigInteger('latest_started_at').nullable();
    table.string('current_version', 128).nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_service_clusters', table => {
    table.dropColumn('current_version');
    table.dropColumn('latest_started_at');
    table.dropColumn('latest_status');
    table.dropColumn('latest_attempt_id');
  });
  await knex('dq_derived').where('name', 'pair-states').delete();
};
