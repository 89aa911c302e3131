// @ts-check

/**
 * What a service cost on a cluster-region per day (`cost` events and the
 * AWS Cost Explorer source), read by src/database/Costs.ts.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_costs', table => {
    table.bigIncrements('id');
    table.string('service_id', 128).notNullable();
    table.string('cluster_id', 64).notNullable();
    // The UTC day's midnight, epoch ms.
    table.bigInteger('day').notNullable();
    table.string('source', 100).notNullable();
    table.string('currency', 3).notNullable();
    // Millionths of the currency unit: sums are exact and equal on both
    // databases, which floating point sums are not.
    table.bigInteger('amount_micro').notNullable();
    table.boolean('estimated').notNullable();
    table.string('event_id', 200).notNullable();
    table.bigInteger('received_at').notNullable();
    // A source's later figure for the same day replaces its earlier one.
    table.unique(['service_id', 'cluster_id', 'day', 'source', 'currency'], {
      indexName: 'dq_costs_key',
    });
    table.index(['cluster_id', 'day'], 'dq_costs_cluster_day');
    table.index(['day'], 'dq_costs_day');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_costs');
};
