// @ts-check

/**
 * Rejected events without amplification (src/database/rejectedRows.ts):
 *
 * - dq_rejected_events.items: how many refused events of one request the
 *   row covers (a batch's invalid items are one row, not one each).
 * - dq_rejected_events.audience: `everyone` (the default, as before: hidden
 *   only from callers who may not see its service), `sees-all` (a request
 *   naming several services, with its body: only for callers who see every
 *   service) or `restricted` (that request's items about one service, without
 *   the body: for the other callers).
 * - dq_counters: named totals that must survive restarts and be shared by
 *   replicas; `rejected_events_dropped` counts the rejected events whose
 *   rows were dropped, oldest first, to keep the table under its cap.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dq_rejected_events', table => {
    table.integer('items').notNullable().defaultTo(1);
    table.string('audience', 16).notNullable().defaultTo('everyone');
  });
  await knex.schema.createTable('dq_counters', table => {
    table.comment('Named totals shared by every replica');
    table.string('name', 64).primary();
    table.bigInteger('value').notNullable().defaultTo(0);
  });
  await knex('dq_counters').insert({
    name: 'rejected_events_dropped',
    value: 0,
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_counters');
  await knex.schema.alterTable('dq_rejected_events', table => {
    table.dropColumn('audience');
    table.dropColumn('items');
  });
};
