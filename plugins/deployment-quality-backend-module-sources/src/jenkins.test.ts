import { jenkinsSourceAdapter } from './jenkins';
import {
  RECEIVED_AT,
  eventsOf,
  fixture,
  mapWith,
} from './__testUtils__/fixtures';

const NOTIFICATION = 'jenkins/notification-plugin.completed.json';
const config = { jobs: [{ job: 'asgard', clusterId: 'aquila-us-east-1' }] };
const map = (body: unknown, cfg: object = config) =>
  mapWith(jenkinsSourceAdapter, body, { config: cfg as any });

describe('jenkinsSourceAdapter', () => {
  it('maps a completed build of a mapped job, timed by arrival when the plugin sends no times', () => {
    expect(map(fixture(NOTIFICATION))).toEqual({
      kind: 'events',
      service: { annotation: 'jenkins.io/job-full-name', value: 'asgard' },
      events: [
        {
          source: 'jenkins',
          eventType: 'deployment',
          eventId: 'jenkins:asgard:18:finished',
          payload: {
            clusterId: 'aquila-us-east-1',
            serviceId: 'asgard',
            buildVersion: 'c6d86dc',
            gitSha: 'c6d86dc654b12425e706bcf951adfe5a8627a517',
            status: 'SUCCESS',
            startedAt: RECEIVED_AT.toISOString(),
            endedAt: RECEIVED_AT.toISOString(),
            trigger: 'merge',
            runNumber: 18,
          },
        },
      ],
    });
  });

  it('takes cluster, version and times from the build when it carries them', () => {
    const body = fixture(NOTIFICATION);
    body.name = 'team/asgard';
    body.build.phase = 'FINALIZED';
    body.build.status = 'UNSTABLE';
    body.build.timestamp = Date.parse('2026-02-24T09:00:00Z');
    body.build.duration = 90_000;
    body.build.parameters = { CLUSTER: 'pavo-us-west-2', VERSION: '2.0.1' };
    const [event] = eventsOf(map(body, {}));
    expect(event.eventId).toBe('jenkins:team/asgard:18:finished');
    expect(event.payload).toMatchObject({
      clusterId: 'pavo-us-west-2',
      serviceId: 'asgard',
      buildVersion: '2.0.1',
      status: 'FAILED',
      failureReason: 'Jenkins build UNSTABLE',
      startedAt: '2026-02-24T09:00:00.000Z',
      endedAt: '2026-02-24T09:01:30.000Z',
    });
  });

  it('maps a started build to IN_PROGRESS on the same run number', () => {
    const body = fixture(NOTIFICATION);
    body.build.phase = 'STARTED';
    delete body.build.status;
    const [event] = eventsOf(map(body));
    expect(event.eventId).toBe('jenkins:asgard:18:started');
    expect(event.payload).toMatchObject({
      status: 'IN_PROGRESS',
      runNumber: 18,
    });
    expect(event.payload).not.toHaveProperty('endedAt');
  });

  it('ignores queued builds, unbuilt ones and jobs that name no cluster', () => {
    const body = fixture(NOTIFICATION);
    expect(map(body, {})).toEqual({
      kind: 'ignored',
      reason: 'job asgard names no cluster (jobs mapping or parameter)',
    });
    expect(map({ ...body, build: { ...body.build, phase: 'QUEUED' } })).toEqual(
      {
        kind: 'ignored',
        reason: 'build queued',
      },
    );
    expect(
      map({ ...body, build: { ...body.build, status: 'NOT_BUILT' } }),
    ).toEqual({
      kind: 'ignored',
      reason: 'build status NOT_BUILT is no outcome',
    });
  });

  it("ignores build statuses named after Object's properties", () => {
    const body = fixture(NOTIFICATION);
    for (const status of ['constructor', 'toString', '__proto__']) {
      expect(map({ ...body, build: { ...body.build, status } })).toEqual({
        kind: 'ignored',
        reason: `build status ${status} is no outcome`,
      });
    }
  });

  it('lists the problems of a malformed notification', () => {
    const body = fixture(NOTIFICATION);
    body.build.number = '18';
    delete body.name;
    expect(map(body)).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'name', message: 'is required' },
        { path: 'build.number', message: 'must be a non-negative integer' },
      ],
    });
    const noCommit = fixture(NOTIFICATION);
    noCommit.build.scm.commit = 'HEAD';
    expect(map(noCommit)).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'build.scm.commit', message: 'must be a git commit (hex)' },
      ],
    });
  });
});
