import { TestDatabases } from '@backstage/backend-test-utils';
import {
  AttemptStatus,
  EventEnvelope,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent } from '../__testUtils__/events';
import { SEES_ALL } from '../visibility/Visibility';
import { ensurePairStates } from './pairStates';
import { mulberry32 } from '../__testUtils__/random';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const DAY = 86_400_000;
const HOUR = 3_600_000;

const STATUSES: AttemptStatus[] = ['SUCCESS', 'FAILED', 'ROLLBACK', 'LIVE'];

/**
 * Attempts of 6 services on 2 clusters, each reported as it starts
 * (IN_PROGRESS) and most again when they end, shuffled: starts and ends of
 * one attempt arrive in either order, and in different batches.
 */
function shuffledHistory(seed: number): EventEnvelope[] {
  const rand = mulberry32(seed);
  const base = Date.now() - 10 * DAY;
  const events: EventEnvelope[] = [];
  for (let i = 0; i < 240; i++) {
    const serviceId = `svc-${Math.floor(rand() * 6)}`;
    const clusterId = rand() < 0.5 ? 'mira-us-west-2' : 'pavo-us-west-2';
    const startedAt = base + Math.floor(rand() * 9 * DAY);
    const status = STATUSES[Math.floor(rand() * STATUSES.length)];
    const common = {
      clusterId,
      serviceId,
      buildVersion: `1.0.${i}`,
      runNumber: 1,
      startedAt: new Date(startedAt).toISOString(),
      trigger: status === 'ROLLBACK' ? 'rollback' : 'merge',
    } as const;
    events.push(
      deploymentEvent({ ...common, status: 'IN_PROGRESS', endedAt: undefined }),
    );
    if (rand() < 0.85) {
      events.push(
        deploymentEvent({
          ...common,
          status,
          endedAt: new Date(startedAt + rand() * HOUR).toISOString(),
          ...(status === 'ROLLBACK' ? { rollbackToBuild: '1.0.0' } : {}),
        }),
      );
    }
  }
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  return events;
}

async function pairRows(knex: Knex) {
  return knex('dq_service_clusters')
    .select('cluster_id', 'service_id', 'latest_attempt_id', 'current_version')
    .orderBy(['cluster_id', 'service_id']);
}

/** The states computed from scratch, from every stored attempt. */
async function recomputed(knex: Knex) {
  await knex('dq_derived').where('name', 'pair-states').delete();
  await knex('dq_service_clusters').update({
    latest_attempt_id: null,
    current_version: null,
  });
  expect(await ensurePairStates(knex)).toBe(true);
  return pairRows(knex);
}

describe.each(databases.eachSupportedId())('pair states on %p', databaseId => {
  it('written with each batch, equal to a recomputation whatever the order and concurrency', async () => {
    const { knex, store } = await createTestStore(databases, databaseId);
    const events = shuffledHistory(11);
    // Batches of 1 to 9 events, written 4 at a time: on PostgreSQL
    // concurrent transactions write attempts of the same pairs.
    const rand = mulberry32(5);
    const batches: EventEnvelope[][] = [];
    for (let i = 0; i < events.length; ) {
      const n = 1 + Math.floor(rand() * 9);
      batches.push(events.slice(i, i + n));
      i += n;
    }
    for (let i = 0; i < batches.length; i += 4) {
      await Promise.all(batches.slice(i, i + 4).map(b => store.ingestBatch(b)));
    }

    const incremental = await pairRows(knex);
    expect(incremental).toHaveLength(12);
    expect(incremental.every(r => r.latest_attempt_id)).toBe(true);
    expect(await recomputed(knex)).toEqual(incremental);

    // What the views read: each pair's latest attempt by start.
    const states = await store.listPairStates({ visibility: SEES_ALL });
    const attempts = await knex('dq_attempts').select(
      'id',
      'cluster_id',
      'service_id',
      'started_at',
    );
    for (const state of states) {
      const latest = attempts
        .filter(
          a =>
            a.cluster_id === state.clusterId &&
            a.service_id === state.serviceId,
        )
        .sort(
          (a, b) =>
            Number(b.started_at) - Number(a.started_at) ||
            (b.id > a.id ? 1 : -1),
        )[0];
      expect(state.latestAttempt.id).toBe(latest.id);
    }
  });

  it('follows retention when it removes a pair’s unfinished latest attempt', async () => {
    const { knex, store } = await createTestStore(databases, databaseId);
    const at = (days: number) =>
      new Date(Date.now() - days * DAY).toISOString();
    await store.ingestBatch([
      deploymentEvent({
        buildVersion: '1.0.0',
        startedAt: at(200),
        endedAt: at(200),
        status: 'SUCCESS',
      }),
      // Never finished: retention may remove it, and it is the latest.
      deploymentEvent({
        buildVersion: '1.1.0',
        startedAt: at(150),
        endedAt: undefined,
        status: 'IN_PROGRESS',
      }),
    ]);
    const before = await store.listPairStates({ visibility: SEES_ALL });
    expect(before.map(s => s.latestAttempt.buildVersion)).toEqual(['1.1.0']);

    await store.deleteOlderThan(new Date(Date.now() - 90 * DAY), {
      batchSize: 100,
    });

    const after = await store.listPairStates({ visibility: SEES_ALL });
    expect(after.map(s => s.latestAttempt.buildVersion)).toEqual(['1.0.0']);
    expect(after[0].currentVersion).toBe('1.0.0');
    expect(await pairRows(knex)).toEqual(await recomputed(knex));
  });
});
