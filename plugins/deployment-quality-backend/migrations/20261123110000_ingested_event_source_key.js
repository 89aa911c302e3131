// @ts-check

/**
 * The name of the webhook key that authenticated an event (null for events a
 * CI system sent straight to SQS): the event's source identity, for audit.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dq_ingested_events', table => {
    table.string('source_key', 100).nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_ingested_events', table => {
    table.dropColumn('source_key');
  });
};
