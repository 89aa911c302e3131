import { githubSourceAdapter } from './github';
import { eventsOf, fixture, mapWith } from './__testUtils__/fixtures';

const config = {
  environments: [
    { environment: 'production', clusterId: 'aquila-us-east-1' },
    { environment: 'staging', clusterId: 'pavo-us-west-2' },
  ],
  workflows: [
    {
      workflow: '.github/workflows/test.yml',
      kind: 'deploy',
      clusterId: 'mira-us-west-2',
    },
    {
      workflow: 'CodeQL',
      kind: 'test',
      clusterId: 'mira-us-west-2',
      suiteType: 'SANITY',
    },
  ],
};

const map = (body: unknown, event: string, cfg: object = config) =>
  mapWith(githubSourceAdapter, body, {
    config: cfg as any,
    headers: { 'x-github-event': event },
  });

describe('githubSourceAdapter', () => {
  it('authenticates with the X-Hub-Signature-256 HMAC', () => {
    expect(githubSourceAdapter.authentication).toEqual({
      type: 'hmac-sha256',
      header: 'x-hub-signature-256',
      prefix: 'sha256=',
    });
  });

  it('maps a successful deployment_status to a finished attempt numbered by the deployment id', () => {
    const mapping = map(
      fixture('github/deployment_status.created.success.json'),
      'deployment_status',
    );
    expect(mapping).toEqual({
      kind: 'events',
      service: {
        annotation: 'github.com/project-slug',
        value: 'Codertocat/Hello-World',
      },
      events: [
        {
          source: 'github',
          eventType: 'deployment',
          eventId: 'github:deployment_status:209916254',
          payload: {
            clusterId: 'aquila-us-east-1',
            serviceId: 'Hello-World',
            buildVersion: 'f95f852',
            gitSha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
            status: 'SUCCESS',
            startedAt: '2019-05-15T15:20:53.000Z',
            endedAt: '2019-05-15T15:20:55.000Z',
            trigger: 'merge',
            runNumber: 145988746,
          },
        },
      ],
    });
  });

  it('maps a failed deployment_status with its description as the reason', () => {
    const [event] = eventsOf(
      map(
        fixture('github/deployment_status.created.failure.json'),
        'deployment_status',
      ),
    );
    expect(event.eventId).toBe('github:deployment_status:209916255');
    expect(event.payload).toMatchObject({
      status: 'FAILED',
      runNumber: 145988746,
      endedAt: '2019-05-15T15:25:12.000Z',
      failureReason: 'Deployment failed: health check timed out',
    });
  });

  it('maps an in_progress status and a created deployment to an unfinished attempt', () => {
    const withPages = {
      ...config,
      environments: [
        { environment: 'github-pages', clusterId: 'mira-us-east-1' },
      ],
    };
    const [status] = eventsOf(
      map(
        fixture('github/deployment_status.created.in_progress.gh-pages.json'),
        'deployment_status',
        withPages,
      ),
    );
    expect(status.payload).toEqual({
      clusterId: 'mira-us-east-1',
      serviceId: 'Hello-World',
      buildVersion: 'f95f852',
      gitSha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      status: 'IN_PROGRESS',
      startedAt: '2022-01-03T01:28:30.000Z',
      trigger: 'merge',
      runNumber: 145988746,
    });
    const [created] = eventsOf(
      map(fixture('github/deployment.created.json'), 'deployment'),
    );
    expect(created).toMatchObject({
      eventId: 'github:deployment:145988746',
      payload: { status: 'IN_PROGRESS', clusterId: 'aquila-us-east-1' },
    });
  });

  it("takes the version and trigger from the deployment's payload when the deployer set them", () => {
    const body = fixture('github/deployment_status.created.success.json');
    body.deployment.payload = { version: '3.4.2', trigger: 'promotion' };
    const [event] = eventsOf(map(body, 'deployment_status'));
    expect(event.payload).toMatchObject({
      buildVersion: '3.4.2',
      trigger: 'promotion',
    });
  });

  it('uses the environment as the cluster id when no mapping is configured, and only mapped ones when one is', () => {
    const body = fixture(
      'github/deployment_status.created.in_progress.gh-pages.json',
    );
    expect(
      eventsOf(map(body, 'deployment_status', {}))[0].payload,
    ).toMatchObject({
      clusterId: 'github-pages',
    });
    expect(map(body, 'deployment_status')).toEqual({
      kind: 'ignored',
      reason:
        'environment github-pages is not in the configured environments mapping',
    });
  });

  it('ignores inactive statuses, pings and events it does not use', () => {
    const inactive = fixture('github/deployment_status.created.success.json');
    inactive.deployment_status.state = 'inactive';
    expect(map(inactive, 'deployment_status')).toEqual({
      kind: 'ignored',
      reason: 'deployment state inactive is not an outcome',
    });
    expect(
      map({ zen: 'Keep it logically awesome.', hook_id: 1 }, 'ping'),
    ).toMatchObject({
      kind: 'ignored',
    });
    expect(map(fixture('github/deployment.created.json'), 'star')).toEqual({
      kind: 'ignored',
      reason: 'event star is not used',
    });
  });

  it("ignores deployment states named after Object's properties", () => {
    for (const state of ['constructor', 'toString', '__proto__']) {
      const body = fixture('github/deployment_status.created.success.json');
      body.deployment_status.state = state;
      expect(map(body, 'deployment_status')).toEqual({
        kind: 'ignored',
        reason: `deployment state ${state} is not an outcome`,
      });
    }
  });

  it('maps a completed deploy workflow run, and ignores one that only started', () => {
    const [event] = eventsOf(
      map(
        fixture('github/workflow_run.completed.success.json'),
        'workflow_run',
      ),
    );
    expect(event).toEqual({
      source: 'github',
      eventType: 'deployment',
      eventId: 'github:workflow_run:289782451:1',
      payload: {
        clusterId: 'mira-us-west-2',
        serviceId: 'octo-repo',
        buildVersion: '3484a3f',
        gitSha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
        status: 'SUCCESS',
        startedAt: '2020-10-05T16:33:49.000Z',
        endedAt: '2020-10-05T16:33:49.000Z',
        trigger: 'merge',
        runNumber: 163,
      },
    });
    expect(
      map(fixture('github/workflow_run.requested.json'), 'workflow_run'),
    ).toEqual({
      kind: 'ignored',
      reason: 'workflow run requested',
    });
    expect(
      map(
        fixture('github/workflow_run.completed.success.json'),
        'workflow_run',
        {},
      ),
    ).toEqual({
      kind: 'ignored',
      reason: 'workflow .github/workflows/test.yml is not configured',
    });
  });

  it('maps a failed run of a deploy workflow and ignores a cancelled one', () => {
    const body = fixture('github/workflow_run.completed.success.json');
    body.workflow_run.conclusion = 'failure';
    expect(eventsOf(map(body, 'workflow_run'))[0].payload).toMatchObject({
      status: 'FAILED',
      failureReason: 'workflow failure',
    });
    body.workflow_run.conclusion = 'cancelled';
    expect(map(body, 'workflow_run')).toMatchObject({ kind: 'ignored' });
  });

  it('maps completed jobs of a test workflow to one-test runs of its suite', () => {
    const [passed] = eventsOf(
      map(
        fixture('github/workflow_job.completed.success.json'),
        'workflow_job',
      ),
    );
    expect(passed).toEqual({
      source: 'github',
      eventType: 'test-result',
      eventId: 'github:workflow_job:289782451:1',
      payload: {
        clusterId: 'mira-us-west-2',
        serviceId: 'Hello-World',
        buildVersion: '3484a3f',
        suiteType: 'SANITY',
        total: 1,
        passed: 1,
        failed: 0,
        skipped: 0,
        durationSec: 198,
        executedAt: '2021-08-05T10:38:16.000Z',
        reportUrl: 'https://github.com/octo-org/octo-repo/runs/1291536064',
      },
    });
    const unnamed = {
      ...config,
      workflows: [{ workflow: 'CodeQL', kind: 'test', clusterId: 'c1' }],
    };
    const [failed] = eventsOf(
      map(
        fixture('github/workflow_job.completed.failure.json'),
        'workflow_job',
        unnamed,
      ),
    );
    expect(failed.payload).toMatchObject({
      suiteType: 'LINTERS',
      passed: 0,
      failed: 1,
    });
    expect(
      map(fixture('github/workflow_job.in_progress.json'), 'workflow_job'),
    ).toEqual({
      kind: 'ignored',
      reason: 'workflow job in_progress',
    });
  });

  it('reports a workflow under the other kind as ignored', () => {
    const swapped = {
      workflows: [{ workflow: 'CodeQL', kind: 'deploy', clusterId: 'c1' }],
    };
    expect(
      map(
        fixture('github/workflow_job.completed.success.json'),
        'workflow_job',
        swapped,
      ),
    ).toEqual({
      kind: 'ignored',
      reason:
        'workflow CodeQL is configured as deploy: only test workflows are reported per job',
    });
  });

  it('tells the event from the body when there is no header (queue messages)', () => {
    const mapping = mapWith(
      githubSourceAdapter,
      fixture('github/deployment_status.created.success.json'),
      { config },
    );
    expect(eventsOf(mapping)[0].eventId).toBe(
      'github:deployment_status:209916254',
    );
  });

  it('lists every problem of a malformed body', () => {
    const body = fixture('github/deployment_status.created.success.json');
    delete body.deployment.sha;
    body.deployment.created_at = 'yesterday';
    body.deployment_status.id = 'x';
    expect(map(body, 'deployment_status')).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'deployment.sha', message: 'is required' },
        {
          path: 'deployment_status.id',
          message: 'must be a non-negative integer',
        },
        { path: 'deployment.created_at', message: 'must be a timestamp' },
      ],
    });
    expect(map([1, 2], 'deployment')).toEqual({
      kind: 'invalid',
      problems: [{ path: '(root)', message: 'must be a JSON object' }],
    });
  });
});
