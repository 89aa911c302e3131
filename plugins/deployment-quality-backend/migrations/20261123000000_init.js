// @ts-check

/**
 * Times are stored as epoch milliseconds (bigint) so that ordering, keyset
 * cursors and day buckets behave the same on SQLite and PostgreSQL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_ingested_events', table => {
    table.comment('Every accepted event, for idempotency, audit and replay');
    table.string('event_id', 200).primary();
    table.string('event_type', 32).notNullable();
    table.string('source', 100).notNullable();
    table.bigInteger('received_at').notNullable();
    table.bigInteger('stored_at').notNullable();
    table.text('payload').notNullable();
    table.index(['received_at'], 'dq_ingested_events_received_idx');
  });

  await knex.schema.createTable('dq_clusters', table => {
    table.comment('Clusters registered by cluster-config events');
    table.string('id', 128).primary();
    table.string('name', 200).notNullable();
    table.string('type', 100).notNullable();
    table.string('role', 100).notNullable();
    table.text('description').notNullable();
    table.string('region', 100).nullable();
    table.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('dq_service_clusters', table => {
    table.comment(
      'Every (cluster, service) pair seen in an attempt: drives per-service probes',
    );
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.bigInteger('first_seen_at').notNullable();
    table.primary(['cluster_id', 'service_id']);
    table.index(['service_id'], 'dq_service_clusters_service_idx');
  });

  await knex.schema.createTable('dq_attempts', table => {
    table.string('id', 400).primary();
    table.string('cluster_id', 128).notNullable();
    table.string('service_id', 128).notNullable();
    table.string('build_version', 128).notNullable();
    table.string('git_sha', 64).notNullable();
    table.bigInteger('started_at').notNullable();
    table.bigInteger('ended_at').nullable();
    table.string('status', 16).notNullable();
    table.string('trigger', 16).notNullable();
    table.text('failure_reason').nullable();
    table.string('rollback_to_build', 128).nullable();
    table.string('source', 100).notNullable();
    table.bigInteger('commit_at').nullable();
    // Keyset pagination, newest first, per cluster and per service.
    table.index(['cluster_id', 'started_at', 'id'], 'dq_attempts_cluster_idx');
    table.index(['service_id', 'started_at', 'id'], 'dq_attempts_service_idx');
    // Latest attempt of a service on a cluster; attaching test results by build.
    table.index(
      ['cluster_id', 'service_id', 'started_at'],
      'dq_attempts_pair_started_idx',
    );
    // Current version: latest finished attempt of a service on a cluster.
    table.index(
      ['cluster_id', 'service_id', 'ended_at'],
      'dq_attempts_pair_ended_idx',
    );
  });

  await knex.schema.createTable('dq_test_runs', table => {
    table.bigIncrements('id');
    table.string('event_id', 200).notNullable().unique();
    // Null until the attempt it belongs to has arrived.
    table.string('attempt_id', 400).nullable();
    table.string('cluster_id', 128).nullable();
    table.string('service_id', 128).nullable();
    table.string('build_version', 128).nullable();
    table.string('suite_type', 64).notNullable();
    table.integer('total').notNullable();
    table.integer('passed').notNullable();
    table.integer('failed').notNullable();
    table.integer('skipped').notNullable();
    table.double('duration_sec').notNullable();
    table.bigInteger('executed_at').notNullable();
    table.text('report_url').nullable();
    table.index(
      ['attempt_id', 'suite_type', 'executed_at'],
      'dq_test_runs_attempt_idx',
    );
    table.index(
      ['cluster_id', 'service_id', 'build_version'],
      'dq_test_runs_build_idx',
    );
  });

  await knex.schema.createTable('dq_promotions', table => {
    table.string('promotion_id', 400).primary();
    table.string('service_id', 128).notNullable();
    table.string('build_version', 128).notNullable();
    table.string('from_cluster_id', 128).notNullable();
    table.string('to_cluster_id', 128).notNullable();
    table.string('promoted_by', 200).notNullable();
    table.bigInteger('promoted_at').notNullable();
    table.index(['service_id', 'promoted_at'], 'dq_promotions_service_idx');
    table.index(['service_id', 'build_version'], 'dq_promotions_build_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dq_promotions');
  await knex.schema.dropTable('dq_test_runs');
  await knex.schema.dropTable('dq_attempts');
  await knex.schema.dropTable('dq_service_clusters');
  await knex.schema.dropTable('dq_clusters');
  await knex.schema.dropTable('dq_ingested_events');
};
