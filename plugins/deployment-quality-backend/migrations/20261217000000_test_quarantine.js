// @ts-check

/**
 * Tests quarantined from the UI, read and written by
 * src/database/Quarantine.ts. Rows are never deleted: lifting a quarantine
 * records who and when beside who put it there, so the table is the audit
 * trail.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_test_quarantine', table => {
    table.bigIncrements('id');
    table.string('service_id', 128).notNullable();
    // sha1 of suite, class and name, as dq_test_cases.case_key.
    table.string('case_key', 40).notNullable();
    table.text('suite').notNullable();
    table.text('class_name').notNullable();
    table.text('name').notNullable();
    table.text('reason').notNullable();
    table.string('added_by', 400).notNullable();
    table.bigInteger('added_at').notNullable();
    table.string('lifted_by', 400).nullable();
    table.bigInteger('lifted_at').nullable();
    table.index(['service_id', 'lifted_at'], 'dq_test_quarantine_service');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_test_quarantine');
};
