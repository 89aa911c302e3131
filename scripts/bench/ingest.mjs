// SQS → database ingest: the plugin's consumer against a bare loop that
// takes the same messages off the same queue and writes the same rows with
// plain knex, both with the same number of concurrent pollers.
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  countStored,
  log,
  makeEvents,
  sleep,
  startBackend,
  until,
} from '../reliability/harness.mjs';

const TABLES = [
  'dq_ingested_events',
  'dq_attempts',
  'dq_test_runs',
  'dq_service_clusters',
];

/**
 * Events/s over the stretch from 5 % to 100 % of `total` stored: leaves out
 * the backend's start-up, which a sustained rate shouldn't include.
 */
async function rateWhile(stored, total, timeoutMs = 600_000) {
  const deadline = performance.now() + timeoutMs;
  let first;
  for (;;) {
    const n = await stored();
    const now = performance.now();
    if (!first && n >= total * 0.05) first = { n, now };
    if (n >= total) {
      return (n - first.n) / ((now - first.now) / 1000);
    }
    if (now > deadline) throw new Error(`only ${n} of ${total} events stored`);
    await sleep(first ? 50 : 200);
  }
}

/**
 * The least a consumer must do per batch of 10: one transaction that logs
 * the event ids (ignoring duplicates), upserts the attempts with the same
 * ordering rule as the plugin, inserts the test runs (their attempt's
 * cluster, service and build read from the attempt id) and the
 * (cluster, service) pairs; then delete the batch. No validation, no
 * per-event statements.
 */
async function writeBatch(knex, events) {
  const now = Date.now();
  const deployments = new Map();
  const runs = [];
  for (const e of events) {
    if (e.eventType === 'deployment') {
      const p = e.payload;
      deployments.set(
        `${p.clusterId}:${p.serviceId}:${p.buildVersion}:${p.runNumber}`,
        {
          cluster_id: p.clusterId,
          service_id: p.serviceId,
          build_version: p.buildVersion,
          git_sha: p.gitSha,
          started_at: Date.parse(p.startedAt),
          ended_at: p.endedAt ? Date.parse(p.endedAt) : null,
          status: p.status,
          trigger: p.trigger,
          source: e.source,
          commit_at: p.commitAt ? Date.parse(p.commitAt) : null,
        },
      );
    } else {
      const p = e.payload;
      const [cluster_id, service_id, build_version] = p.attemptId.split(':');
      runs.push({
        event_id: e.eventId,
        attempt_id: p.attemptId,
        cluster_id,
        service_id,
        build_version,
        suite_type: p.suiteType,
        total: p.total,
        passed: p.passed,
        failed: p.failed,
        skipped: p.skipped,
        duration_sec: p.durationSec,
        executed_at: Date.parse(p.executedAt),
      });
    }
  }
  await knex.transaction(async tx => {
    const fresh = new Set(
      (
        await tx('dq_ingested_events')
          .insert(
            events.map(e => ({
              event_id: e.eventId,
              event_type: e.eventType,
              source: e.source,
              received_at: Date.parse(e.receivedAt),
              stored_at: now,
              payload: JSON.stringify(e.payload),
            })),
          )
          .onConflict('event_id')
          .ignore()
          .returning('event_id')
      ).map(r => r.event_id ?? r),
    );
    if (deployments.size) {
      // The plugin's ordering rule, word for word: the same work per row.
      const wins = `(dq_attempts.status = 'IN_PROGRESS'
        or (excluded.status <> 'IN_PROGRESS'
            and (excluded.ended_at > dq_attempts.ended_at
                 or (excluded.ended_at = dq_attempts.ended_at
                     and excluded.status > dq_attempts.status))))`;
      const winner = c =>
        tx.raw(
          `case when ${wins} then excluded.${c} else dq_attempts.${c} end`,
        );
      const columns = Object.keys(deployments.values().next().value);
      await tx('dq_attempts')
        .insert([...deployments].map(([id, row]) => ({ id, ...row })))
        .onConflict('id')
        .merge(Object.fromEntries(columns.map(c => [c, winner(c)])));
      await tx('dq_service_clusters')
        .insert(
          [...deployments.values()].map(d => ({
            cluster_id: d.cluster_id,
            service_id: d.service_id,
            first_seen_at: d.started_at,
          })),
        )
        .onConflict(['cluster_id', 'service_id'])
        .ignore();
    }
    const newRuns = runs.filter(r => fresh.has(r.event_id));
    if (newRuns.length) await tx('dq_test_runs').insert(newRuns);
  });
}

async function bareLoop({ sqs, knex, total, pollers }) {
  const client = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint });
  let done = 0;
  let over = false;
  const poll = async () => {
    while (done < total && !over) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      if (!Messages.length) continue;
      await writeBatch(
        knex,
        Messages.map(m => JSON.parse(m.Body)),
      );
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: sqs.queueUrl,
          Entries: Messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
          })),
        }),
      );
      done += Messages.length;
    }
  };
  let failure;
  const loops = Promise.all(Array.from({ length: pollers }, poll)).catch(
    error => {
      failure = error;
    },
  );
  try {
    return await rateWhile(async () => {
      if (failure) throw failure;
      return done;
    }, total);
  } finally {
    over = true;
    await loops;
    client.destroy();
  }
}

/**
 * Both sides on a fresh plugin database and an empty queue; leaves the
 * database's event tables empty again. `rss` watches the backend.
 */
export async function benchIngest({
  database,
  knex,
  sqs,
  port,
  messages,
  pollers,
  rss,
  catalogFile,
}) {
  const events = makeEvents(messages, `bench-${Date.now()}`);
  const bodies = events.map(e => JSON.stringify(e));

  // The plugin: the queue filled first, then the backend started on it.
  await sqs.send(bodies);
  const backend = await startBackend({
    port,
    database,
    sqs,
    visibility: 30,
    consumers: pollers,
    sourceMaps: false,
    // The run's one catalog: this backend links the index first, and the
    // read backend after it finds the links made (the index's sync is a
    // global task; its next run is five minutes after this one's).
    catalogFile,
  });
  rss.watch(backend.child.pid);
  let plugin;
  try {
    plugin = await rateWhile(() => countStored(knex), messages);
    await until(
      async () => (await sqs.depth(sqs.queueUrl)) === 0,
      60_000,
      'the queue to empty',
    );
  } finally {
    rss.unwatch(backend.child.pid);
    await backend.stop();
  }
  log(`SQS → plugin: ${Math.round(plugin)} events/s`);

  // The bare loop: the same messages again, into the same (emptied) tables.
  for (const table of TABLES) await knex(table).delete();
  // The stopped consumer's long polls (2 s) are still open on the queue's
  // side: messages sent now would go to them and stay invisible for the
  // whole visibility timeout. Let them expire first.
  await sleep(3000);
  await sqs.send(bodies);
  const bare = await bareLoop({ sqs, knex, total: messages, pollers });
  const stored = await countStored(knex);
  for (const table of TABLES) await knex(table).delete();
  if (stored !== messages)
    throw new Error(`bare loop stored ${stored} of ${messages} events`);
  log(`SQS → bare loop: ${Math.round(bare)} events/s`);
  return { plugin, bare, messages, pollers };
}
