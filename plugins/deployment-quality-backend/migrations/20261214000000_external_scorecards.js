// @ts-check

/**
 * Scorecards other tools computed for a service (`scorecard` events), shown
 * beside ours (src/database/ExternalScorecards.ts).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_external_scorecards', table => {
    table.bigIncrements('id');
    table.string('event_id', 200).notNullable().unique();
    table.string('service_id', 128).notNullable();
    table.string('name', 100).notNullable();
    table.double('score').notNullable();
    table.double('max_score').notNullable();
    table.bigInteger('measured_at').notNullable();
    table.string('url', 2000).nullable();
    // JSON array of up to 100 { name, passed, url? }, as sent.
    table.text('checks').nullable();
    table.index(['service_id', 'name', 'measured_at'], 'dq_ext_name_time');
    table.index(['measured_at'], 'dq_ext_time');
  });
  // Each (service, name)'s newest measurement: the fleet scorecard reads
  // this, not the history.
  await knex.schema.createTable('dq_external_scorecard_latest', table => {
    table.string('service_id', 128).notNullable();
    table.string('name', 100).notNullable();
    table.bigInteger('row_id').notNullable();
    table.bigInteger('measured_at').notNullable();
    table.double('score').notNullable();
    table.double('max_score').notNullable();
    table.primary(['service_id', 'name']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_external_scorecard_latest');
  await knex.schema.dropTable('dq_external_scorecards');
};
