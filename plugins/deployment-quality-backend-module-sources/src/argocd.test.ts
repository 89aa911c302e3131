import { argocdSourceAdapter } from './argocd';
import {
  RECEIVED_AT,
  eventsOf,
  fixture,
  mapWith,
} from './__testUtils__/fixtures';

const map = (body: unknown, config: object = {}) =>
  mapWith(argocdSourceAdapter, body, { config: config as any });

const SYNCED = 'argocd/notification.synced-healthy.json';

describe('argocdSourceAdapter', () => {
  it('renders its fixture from the published Application', () => {
    // The notification fixture is our template applied to this Application.
    const app = fixture('argocd/application.synced-healthy.json');
    const body = fixture(SYNCED);
    expect(body).toMatchObject({
      app: app.metadata.name,
      destination: { name: app.spec.destination.name },
      revision: app.status.operationState.syncResult.revision,
      phase: app.status.operationState.phase,
      startedAt: app.status.operationState.startedAt,
      health: app.status.health.status,
    });
    expect(body.history).toHaveLength(app.status.history.length);
  });

  it('maps a succeeded, healthy sync to a successful attempt on the destination', () => {
    expect(map(fixture(SYNCED))).toEqual({
      kind: 'events',
      service: { annotation: 'argocd/app-name', value: 'velero-test' },
      events: [
        {
          source: 'argocd',
          eventType: 'deployment',
          eventId:
            'argocd:velero-test:2024-03-05T07:33:03.000Z:Succeeded:Healthy',
          payload: {
            clusterId: 'gke-alpha-01-europe-west1',
            serviceId: 'velero-test',
            buildVersion: 'ea87599',
            gitSha: 'ea8759964626a583667a2bfd08f334ec2070040a',
            status: 'SUCCESS',
            startedAt: '2024-03-05T07:33:03.000Z',
            endedAt: '2024-03-05T07:33:04.000Z',
            trigger: 'manual',
            // Re-syncs of the same commit are no rollback.
          },
        },
      ],
    });
  });

  it('maps a sync back to an earlier revision as a ROLLBACK to that version', () => {
    const [event] = eventsOf(map(fixture('argocd/notification.rollback.json')));
    expect(event.payload).toEqual({
      clusterId: 'gke-alpha-01-europe-west1',
      serviceId: 'velero-test',
      buildVersion: 'ea87599',
      gitSha: 'ea8759964626a583667a2bfd08f334ec2070040a',
      status: 'ROLLBACK',
      startedAt: '2024-03-05T07:33:03.000Z',
      endedAt: '2024-03-05T07:33:04.000Z',
      trigger: 'rollback',
      rollbackToBuild: '9c1d4e5',
    });
  });

  it('maps a running rollback to the same attempt as its end', () => {
    const body = fixture('argocd/notification.rollback.json');
    const done = eventsOf(map(body))[0];
    // While running: no result, no finish time, no history entry yet.
    const running = eventsOf(
      map({
        ...body,
        phase: 'Running',
        revision: '<no value>',
        finishedAt: '&lt;no value&gt;',
        health: 'Progressing',
        history: body.history.slice(0, -1),
      }),
    )[0];
    expect(running.payload).toMatchObject({
      status: 'IN_PROGRESS',
      trigger: 'rollback',
      buildVersion: 'ea87599',
    });
    expect(running.payload).not.toHaveProperty('endedAt');
    const { status, endedAt, ...same } = done.payload as any;
    expect(running.payload).toMatchObject(same);
    expect(running.eventId).not.toBe(done.eventId);
  });

  it('maps a failed sync, and degraded health after a sync, to FAILED', () => {
    const body = fixture(SYNCED);
    expect(
      eventsOf(map({ ...body, phase: 'Failed' }))[0].payload,
    ).toMatchObject({
      status: 'FAILED',
      endedAt: '2024-03-05T07:33:04.000Z',
      failureReason: 'Argo CD sync Failed',
    });
    // Heard of later than the sync's success: ends later, so it wins.
    expect(
      eventsOf(map({ ...body, health: 'Degraded' }))[0].payload,
    ).toMatchObject({
      status: 'FAILED',
      endedAt: RECEIVED_AT.toISOString(),
      failureReason: 'health Degraded after the sync',
    });
    expect(
      eventsOf(map({ ...body, health: 'Progressing' }))[0].payload,
    ).toMatchObject({ status: 'IN_PROGRESS' });
  });

  it('maps destinations through the configured mapping, ignoring unmapped ones', () => {
    const body = fixture(SYNCED);
    const config = {
      destinations: [
        {
          destination: 'gke-alpha-01-europe-west1',
          clusterId: 'aquila-eu-central-1',
        },
      ],
    };
    expect(eventsOf(map(body, config))[0].payload).toMatchObject({
      clusterId: 'aquila-eu-central-1',
    });
    expect(
      map(
        { ...body, destination: { server: 'https://kubernetes.default.svc' } },
        config,
      ),
    ).toEqual({
      kind: 'ignored',
      reason:
        'destination https://kubernetes.default.svc is not in the configured destinations mapping',
    });
  });

  it('ignores operation phases that are no sync outcome', () => {
    expect(map({ ...fixture(SYNCED), phase: 'Unknown' })).toEqual({
      kind: 'ignored',
      reason: 'operation phase Unknown is not a sync outcome',
    });
  });

  it('refuses a body without the fields of the documented template', () => {
    expect(map({ app: 'velero-test', revision: '1.2.3', history: {} })).toEqual(
      {
        kind: 'invalid',
        problems: [
          { path: 'phase', message: 'is required' },
          { path: 'startedAt', message: 'is required' },
          { path: 'revision', message: 'must be a git commit (hex)' },
          { path: 'history', message: 'must be an array' },
        ],
      },
    );
  });
});
