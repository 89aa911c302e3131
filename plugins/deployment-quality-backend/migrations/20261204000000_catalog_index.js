// @ts-check

/**
 * Visibility that doesn't grow with the fleet (src/visibility):
 *
 * - dq_catalog_services: each service id's catalog Component (annotation
 *   `deployment-quality/service-id`, else the name), kept from the catalog
 *   on a schedule with the plugin's own credentials. `entity` holds what
 *   the catalog's permission rules read (kind, metadata, spec, ownedBy), so
 *   a caller's conditional decision is evaluated here, not per request.
 * - dq_catalog_index: one row, the index's generation (bumped when a sync
 *   changed any link) and when it last synced.
 * - dq_visibility_sets / dq_hidden_services: the services hidden from one
 *   group of callers, named by a hash of their content, so callers with the
 *   same decision share one set and every query filters with a constant-size
 *   anti-join. A set's marker row is written in the transaction that writes
 *   its members: a marker means the whole set is there.
 * - dq_rejected_events.service_id: the service a rejected event was about,
 *   when readable, so diagnostics hide the rejections of hidden services.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_catalog_services', table => {
    table.comment('Service id to catalog Component, synced from the catalog');
    table.string('service_id', 128).primary();
    table.string('entity_ref', 512).notNullable();
    table.string('title', 512).notNullable();
    table.text('entity').notNullable();
    table.index(['entity_ref'], 'dq_catalog_services_entity_idx');
  });
  await knex.schema.createTable('dq_catalog_index', table => {
    table.comment('The catalog index generation (one row)');
    table.integer('id').primary();
    table.bigInteger('generation').notNullable();
    table.bigInteger('synced_at').notNullable();
  });
  await knex.schema.createTable('dq_visibility_sets', table => {
    table.comment('Sets of services hidden from callers, by content hash');
    table.string('set_key', 64).primary();
    table.integer('size').notNullable();
    table.bigInteger('used_at').notNullable();
  });
  await knex.schema.createTable('dq_hidden_services', table => {
    table.comment('Members of dq_visibility_sets');
    table.string('set_key', 64).notNullable();
    table.string('service_id', 128).notNullable();
    table.primary(['set_key', 'service_id']);
  });
  await knex.schema.alterTable('dq_rejected_events', table => {
    table.string('service_id', 128).nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_rejected_events', table => {
    table.dropColumn('service_id');
  });
  await knex.schema.dropTable('dq_hidden_services');
  await knex.schema.dropTable('dq_visibility_sets');
  await knex.schema.dropTable('dq_catalog_index');
  await knex.schema.dropTable('dq_catalog_services');
};
