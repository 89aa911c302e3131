// @ts-check

/**
 * - dq_rejected_events: events that failed validation after authentication
 *   (webhook) or on the queue (SQS), for the diagnostics route.
 * - dq_test_runs.by_build: the run named its attempt by cluster + service +
 *   build, so the attempt it belongs to is re-derived when attempts of that
 *   build arrive (the latest one started at or before the run executed).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_rejected_events', table => {
    table.comment(
      'Events refused as invalid, with the reason, for diagnostics',
    );
    table.bigIncrements('id');
    table.bigInteger('received_at').notNullable();
    table.string('transport', 16).notNullable();
    table.string('source', 100).nullable();
    table.string('event_id', 200).nullable();
    table.string('event_type', 64).nullable();
    table.string('reason', 64).notNullable();
    table.text('problems').notNullable();
    table.text('body').nullable();
    table.index(['received_at'], 'dq_rejected_events_received_idx');
    table.index(['reason', 'received_at'], 'dq_rejected_events_reason_idx');
  });
  await knex.schema.alterTable('dq_test_runs', table => {
    table.boolean('by_build').notNullable().defaultTo(false);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_test_runs', table => {
    table.dropColumn('by_build');
  });
  await knex.schema.dropTable('dq_rejected_events');
};
