// @ts-check

/**
 * What the owners are to be told. `dq_notify_queue` is an outbox written in
 * the transaction that stores a failed attempt or a test run, so a crash
 * between the commit and the send loses nothing; the notifier deletes a
 * row once it has been handled. `dq_notify_windows` holds each rule's open
 * de-duplication window per subject: what was sent, and how many more
 * times the rule fired since.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dq_notify_queue', table => {
    table.increments('id');
    // `attempt` (it failed or rolled back) or `tests` (a run of it arrived).
    table.string('kind', 16).notNullable();
    table.string('attempt_id', 400).notNullable();
    // Not before: test runs wait for the rest of their attempt's suites.
    table.bigInteger('due_at').notNullable();
    table.integer('tries').notNullable().defaultTo(0);
    // Several runs of one attempt are one evaluation of its gate.
    table.unique(['kind', 'attempt_id'], {
      indexName: 'dq_notify_queue_subject_idx',
    });
    table.index(['due_at'], 'dq_notify_queue_due_idx');
  });
  await knex.schema.createTable('dq_notify_windows', table => {
    table.string('rule', 32).notNullable();
    // The subject the rule fired for: a service on a cluster, a suite…
    table.string('subject', 600).notNullable();
    table.bigInteger('opened_at').notNullable();
    table.bigInteger('closes_at').notNullable();
    // Times the rule fired in the window, and how many the owners were told of.
    table.integer('fired').notNullable();
    table.integer('told').notNullable();
    // The last notification (JSON), re-sent with the count when the window closes.
    table.text('notification').notNullable();
    table.primary(['rule', 'subject']);
    table.index(['closes_at'], 'dq_notify_windows_closes_idx');
  });
  // A suite's recent runs on a pair, for passRateDrop's median.
  await knex.schema.alterTable('dq_test_runs', table => {
    table.index(
      ['cluster_id', 'service_id', 'suite_type', 'executed_at'],
      'dq_test_runs_pair_suite_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dq_test_runs', table => {
    table.dropIndex([], 'dq_test_runs_pair_suite_idx');
  });
  await knex.schema.dropTable('dq_notify_windows');
  await knex.schema.dropTable('dq_notify_queue');
};
