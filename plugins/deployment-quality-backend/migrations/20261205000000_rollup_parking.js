// @ts-check

/**
 * Parked rollup keys: a key whose refresh fails (data stored before the
 * bounds, or a bug, that makes its sums overflow) stays in
 * dq_rollup_dirty with how often it failed, when it is tried again and the
 * last error, so it neither blocks the other keys nor the start of the
 * backend (src/database/rollups.ts). `retry_at` is epoch ms; null for keys
 * that never failed.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dq_rollup_dirty', table => {
    table.integer('failures').notNullable().defaultTo(0);
    table.bigInteger('retry_at').nullable();
    table.text('error').nullable();
    table.index(['retry_at'], 'dq_rollup_dirty_retry_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_rollup_dirty', table => {
    table.dropIndex([], 'dq_rollup_dirty_retry_idx');
    table.dropColumn('error');
    table.dropColumn('retry_at');
    table.dropColumn('failures');
  });
};
