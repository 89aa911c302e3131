import { AttemptStatus } from '@deployment-quality/plugin-deployment-quality-common';
import { SourceAdapter } from '@deployment-quality/plugin-deployment-quality-node';
import {
  NativeBody,
  createSourceModule,
  ignored,
  isRecord,
  shortSha,
} from './util';

const SOURCE = 'kubernetes';

/** Our annotation for the commit a workload runs (Kubernetes has no field for it). */
export const GIT_SHA_ANNOTATION = 'deployment-quality/git-sha';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  lastUpdateTime?: string;
}

/**
 * A Deployment's rollout outcome, from its `Progressing` condition: reason
 * `NewReplicaSetAvailable` with every replica updated and available →
 * SUCCESS; status False with `ProgressDeadlineExceeded` → FAILED; anything
 * else while the controller works → IN_PROGRESS.
 */
function deploymentStatus(
  body: NativeBody,
  progressing: Condition | undefined,
): AttemptStatus | undefined {
  if (!progressing) return undefined;
  if (progressing.reason === 'ProgressDeadlineExceeded') return 'FAILED';
  const replicas = body.value('status.replicas');
  const done =
    progressing.reason === 'NewReplicaSetAvailable' &&
    body.value('status.updatedReplicas') === replicas &&
    body.value('status.availableReplicas') === replicas &&
    body.value('status.observedGeneration') ===
      body.value('metadata.generation');
  return done ? 'SUCCESS' : 'IN_PROGRESS';
}

/**
 * An Argo Rollout's outcome: aborted (`status.abort`, or Progressing reason
 * `RolloutAborted`) → ROLLBACK, since aborting returns traffic to the stable
 * version; phase Healthy → SUCCESS; Degraded or a progress deadline exceeded
 * → FAILED; Progressing and Paused (a canary step) → IN_PROGRESS. Rollouts
 * before v1.0 have no phase: then `Completed`/`NewReplicaSetAvailable`
 * conditions mean success.
 */
function rolloutStatus(
  body: NativeBody,
  progressing: Condition | undefined,
  conditions: Condition[],
): AttemptStatus | undefined {
  if (
    body.value('status.abort') === true ||
    progressing?.reason === 'RolloutAborted'
  ) {
    return 'ROLLBACK';
  }
  const phase = body.optionalString('status.phase');
  if (
    phase === 'Degraded' ||
    progressing?.reason === 'ProgressDeadlineExceeded'
  )
    return 'FAILED';
  if (phase === 'Healthy') return 'SUCCESS';
  if (phase === 'Progressing' || phase === 'Paused') return 'IN_PROGRESS';
  const completed = conditions.some(
    c => c.type === 'Completed' && c.status === 'True',
  );
  if (completed && progressing?.reason === 'NewReplicaSetAvailable') {
    return 'SUCCESS';
  }
  return progressing ? 'IN_PROGRESS' : undefined;
}

/**
 * The kinds we map, with their revision annotations. A Map, since the kind
 * comes from the body: `toString` must not find Object's prototype.
 */
const REVISION_ANNOTATIONS = new Map([
  ['Deployment', 'deployment.kubernetes.io/revision'],
  ['Rollout', 'rollout.argoproj.io/revision'],
]);

/**
 * Workload status as a small reporter posts it (docs/sources.md has a
 * CronJob with kubectl and curl): `{ clusterId, resource }`, the resource
 * being a `kubectl get -o json` of an `apps/v1` Deployment or an
 * `argoproj.io/v1alpha1` Rollout. Authenticated by a shared secret. The
 * reporter names the cluster because the object doesn't know where it runs.
 *
 * - Git sha: the `deployment-quality/git-sha` annotation (on the object or
 *   its pod template), else the first container's image tag when it is a
 *   commit; without either the delivery is ignored.
 * - Build version: the first container's image tag, else the short sha.
 * - Run number: the controller's revision annotation
 *   (`deployment.kubernetes.io/revision`, `rollout.argoproj.io/revision`),
 *   else the object's generation, so each poll of one rollout updates one
 *   attempt and the event id (cluster, object, revision, status) makes a
 *   repeated poll a no-op.
 * - Times: Kubernetes records no start of a rollout; the attempt is timed by
 *   the Progressing condition's last update (the time the reporter saw it
 *   when there is none), so its duration reads 0.
 *
 * Service: the catalog entity annotated `backstage.io/kubernetes-id` with the
 * object's `backstage.io/kubernetes-id` label (what Backstage's Kubernetes
 * plugin matches on), else the object's name.
 */
export const kubernetesSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: { type: 'shared-secret' },
  map(delivery) {
    const body = new NativeBody(delivery.body);
    const clusterId = body.string('clusterId');
    const kind = body.string('resource.kind');
    const name = body.string('resource.metadata.name');
    if (body.problems.length) return body.invalid();
    const revisionAnnotation = REVISION_ANNOTATIONS.get(kind);
    if (!revisionAnnotation) {
      return ignored(`kind ${kind} is not a Deployment or Rollout`);
    }
    const resource = new NativeBody(body.value('resource'));
    const raw = resource.value('status.conditions');
    const conditions = (Array.isArray(raw) ? raw : []).filter(
      isRecord,
    ) as Condition[];
    const progressing = conditions.find(c => c.type === 'Progressing');
    const status =
      kind === 'Deployment'
        ? deploymentStatus(resource, progressing)
        : rolloutStatus(resource, progressing, conditions);
    if (!status) return ignored(`${kind} ${name} reports no rollout yet`);

    const annotation = (key: string) =>
      resource.entry('metadata.annotations', key);
    const image = resource.optionalString(
      'spec.template.spec.containers.0.image',
    );
    // The tag: after the last ':' of the last path segment, without a digest.
    const tag = image?.split('@')[0].split('/').pop()?.split(':')[1];
    const gitSha =
      annotation(GIT_SHA_ANNOTATION) ??
      resource.entry(
        'spec.template.metadata.annotations',
        GIT_SHA_ANNOTATION,
      ) ??
      (tag && /^[0-9a-f]{7,64}$/i.test(tag) ? tag : undefined);
    if (!gitSha) {
      return ignored(
        `${kind} ${name} names no commit: annotate it ${GIT_SHA_ANNOTATION}`,
      );
    }
    const revision = annotation(revisionAnnotation);
    const updated = Date.parse(progressing?.lastUpdateTime ?? '');
    const at = new Date(
      Number.isNaN(updated) ? delivery.receivedAt.getTime() : updated,
    ).toISOString();
    const runNumber =
      revision && /^\d+$/.test(revision)
        ? revision
        : Number(resource.value('metadata.generation') ?? 0);
    return {
      kind: 'events',
      service: {
        annotation: 'backstage.io/kubernetes-id',
        value:
          resource.entry('metadata.labels', 'backstage.io/kubernetes-id') ??
          name,
      },
      events: [
        {
          source: SOURCE,
          eventType: 'deployment',
          eventId: `kubernetes:${clusterId}:${
            resource.optionalString('metadata.namespace') ?? 'default'
          }/${kind}/${name}:${runNumber}:${status}`,
          payload: {
            clusterId,
            serviceId: name,
            buildVersion: tag ?? shortSha(gitSha),
            gitSha,
            status,
            startedAt: at,
            ...(status === 'IN_PROGRESS' ? {} : { endedAt: at }),
            trigger: status === 'ROLLBACK' ? 'rollback' : 'merge',
            runNumber,
            ...(status === 'FAILED' || status === 'ROLLBACK'
              ? {
                  failureReason:
                    progressing?.reason ??
                    resource.optionalString('status.message') ??
                    `${kind} ${status.toLowerCase()}`,
                }
              : {}),
          },
        },
      ],
    };
  },
};

/** Installs the Kubernetes rollout source adapter. @public */
export const deploymentQualityModuleKubernetesSource = createSourceModule(
  kubernetesSourceAdapter,
);
