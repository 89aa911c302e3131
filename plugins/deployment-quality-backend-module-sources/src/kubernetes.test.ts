import { GIT_SHA_ANNOTATION, kubernetesSourceAdapter } from './kubernetes';
import { eventsOf, fixture, mapWith } from './__testUtils__/fixtures';

const SHA = '3484a3fb816e0859fd6e1cea078d76385ff50625';

/** What the reporter posts: the object, named by cluster, with our commit annotation. */
function report(path: string, annotate = true) {
  const resource = fixture(path);
  if (annotate) {
    resource.metadata.annotations = {
      ...resource.metadata.annotations,
      [GIT_SHA_ANNOTATION]: SHA,
    };
  }
  return { clusterId: 'aquila-us-east-1', resource };
}

const map = (body: unknown) => mapWith(kubernetesSourceAdapter, body);
const payloadOf = (path: string) => eventsOf(map(report(path)))[0].payload;

describe('kubernetesSourceAdapter', () => {
  it('maps a Deployment past its progress deadline to a failed attempt', () => {
    expect(
      map(report('kubernetes/deployment-degraded.argo-gitops-engine.json')),
    ).toEqual({
      kind: 'events',
      service: {
        annotation: 'backstage.io/kubernetes-id',
        value: 'guestbook-ui',
      },
      events: [
        {
          source: 'kubernetes',
          eventType: 'deployment',
          eventId:
            'kubernetes:aquila-us-east-1:default/Deployment/guestbook-ui:4:FAILED',
          payload: {
            clusterId: 'aquila-us-east-1',
            serviceId: 'guestbook-ui',
            buildVersion: '0.3',
            gitSha: SHA,
            status: 'FAILED',
            startedAt: '2018-07-18T06:29:23.000Z',
            endedAt: '2018-07-18T06:29:23.000Z',
            trigger: 'merge',
            runNumber: '4',
            failureReason: 'ProgressDeadlineExceeded',
          },
        },
      ],
    });
  });

  it('maps a progressing Deployment to IN_PROGRESS and a finished one to SUCCESS', () => {
    const path = 'kubernetes/deployment-progressing.argo-gitops-engine.json';
    expect(payloadOf(path)).toMatchObject({
      status: 'IN_PROGRESS',
      startedAt: '2018-07-18T06:19:22.000Z',
    });
    const done = report(path);
    const status = done.resource.status;
    status.conditions[1].reason = 'NewReplicaSetAvailable';
    status.updatedReplicas = status.availableReplicas = status.replicas;
    expect(eventsOf(map(done))[0].payload).toMatchObject({ status: 'SUCCESS' });
  });

  it('maps Argo Rollouts: healthy, paused, degraded, timed out and aborted', () => {
    expect(
      payloadOf('argo-rollouts/rollout.healthy_newWorkloadGeneration.json'),
    ).toMatchObject({
      status: 'SUCCESS',
      runNumber: '1',
      // No pod template (workloadRef): the version is the short commit.
      buildVersion: '3484a3f',
    });
    expect(
      payloadOf('argo-rollouts/rollout.suspended_v1.0_pausedRollout.json'),
    ).toMatchObject({
      status: 'IN_PROGRESS',
      buildVersion: 'yellow',
    });
    expect(
      payloadOf('argo-rollouts/rollout.degraded_statusPhaseMessage.json'),
    ).toMatchObject({
      status: 'FAILED',
      failureReason: 'InvalidSpec',
    });
    expect(
      payloadOf('argo-rollouts/rollout.degraded_rolloutTimeout.json'),
    ).toMatchObject({
      status: 'FAILED',
      failureReason: 'ProgressDeadlineExceeded',
    });
    expect(
      payloadOf('argo-rollouts/rollout.degraded_abortedRollout.json'),
    ).toMatchObject({
      status: 'ROLLBACK',
      trigger: 'rollback',
      failureReason: 'RolloutAborted',
    });
  });

  it('takes the service lookup from the kubernetes-id label when there is one', () => {
    const body = report(
      'kubernetes/deployment-degraded.argo-gitops-engine.json',
    );
    body.resource.metadata.labels['backstage.io/kubernetes-id'] = 'guestbook';
    expect(map(body)).toMatchObject({
      service: { annotation: 'backstage.io/kubernetes-id', value: 'guestbook' },
    });
  });

  it('ignores objects that name no commit and kinds it does not know', () => {
    expect(
      map(
        report('kubernetes/deployment-degraded.argo-gitops-engine.json', false),
      ),
    ).toEqual({
      kind: 'ignored',
      reason: `Deployment guestbook-ui names no commit: annotate it ${GIT_SHA_ANNOTATION}`,
    });
    const job = report(
      'kubernetes/deployment-degraded.argo-gitops-engine.json',
    );
    job.resource.kind = 'StatefulSet';
    expect(map(job)).toEqual({
      kind: 'ignored',
      reason: 'kind StatefulSet is not a Deployment or Rollout',
    });
  });

  it("ignores kinds named after Object's properties", () => {
    for (const kind of ['toString', 'constructor', '__proto__']) {
      const body = report(
        'argo-rollouts/rollout.healthy_newWorkloadGeneration.json',
      );
      body.resource.kind = kind;
      expect(map(body)).toEqual({
        kind: 'ignored',
        reason: `kind ${kind} is not a Deployment or Rollout`,
      });
    }
  });

  it('refuses a report without cluster or object', () => {
    expect(
      map(fixture('kubernetes/deployment-degraded.argo-gitops-engine.json')),
    ).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'clusterId', message: 'is required' },
        { path: 'resource.kind', message: 'is required' },
        { path: 'resource.metadata.name', message: 'is required' },
      ],
    });
  });
});
