import { Trigger } from '@deployment-quality/plugin-deployment-quality-common';
import { SourceAdapter } from '@deployment-quality/plugin-deployment-quality-node';
import { NativeBody, createSourceModule, ignored, shortSha } from './util';

const SOURCE = 'spinnaker';

// Maps, since both are looked up by a name from the body: `constructor` must
// not find Object's prototype.
const OUTCOMES = new Map<string, 'IN_PROGRESS' | 'SUCCESS' | 'FAILED'>([
  ['orca:pipeline:starting', 'IN_PROGRESS'],
  ['orca:pipeline:complete', 'SUCCESS'],
  ['orca:pipeline:failed', 'FAILED'],
]);

/** Spinnaker trigger types → ours: a pipeline started by another one promotes. */
const TRIGGERS = new Map<string, Trigger>([
  ['manual', 'manual'],
  ['pipeline', 'promotion'],
]);

/**
 * Spinnaker's Echo REST webhooks (`rest.endpoints`, unwrapped): `{ details:
 * { type, application, created }, content: { execution: { id, name, status,
 * startTime, endTime, trigger } } }`. Echo sends configured headers, so the
 * shared secret is a header.
 *
 * - Only pipeline events count: `orca:pipeline:starting` → IN_PROGRESS,
 *   `:complete` → SUCCESS, `:failed` → FAILED; stage and task events are
 *   ignored.
 * - Cluster: the pipeline's entry in `pipelines: [{ pipeline, clusterId }]`
 *   (by pipeline name); other pipelines are ignored.
 * - Git sha: the trigger's `hash` (git triggers) or its build's first
 *   `buildInfo.scm[].sha1` (Jenkins triggers); a pipeline started without
 *   one (e.g. manually with no artifact) is ignored. Build version: the
 *   `version` pipeline parameter, else the short sha.
 * - Times: the execution's `startTime`/`endTime` (epoch ms), else the
 *   event's `created`. Attempt: derived from the start time, which the
 *   starting and the final event share.
 * - Trigger: `manual` for manual triggers, `promotion` for pipeline
 *   triggers, else `merge`.
 *
 * Service: the catalog entity annotated `spinnaker.io/application-name`, else
 * the application's name.
 */
export const spinnakerSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: { type: 'shared-secret' },
  map(delivery, { config }) {
    const body = new NativeBody(delivery.body);
    const type = body.string('details.type');
    const application = body.string('details.application');
    if (body.problems.length) return body.invalid();
    const status = OUTCOMES.get(type);
    if (!status) return ignored(`event ${type} is not a pipeline outcome`);
    const pipeline = body.string('content.execution.name');
    const executionId = body.string('content.execution.id');
    if (body.problems.length) return body.invalid();
    const mapping = (config.getOptionalConfigArray('pipelines') ?? []).find(
      p => p.getString('pipeline') === pipeline,
    );
    if (!mapping) return ignored(`pipeline ${pipeline} is not configured`);

    const trigger = 'content.execution.trigger';
    const shaPath = body.optionalString(`${trigger}.hash`)
      ? `${trigger}.hash`
      : `${trigger}.buildInfo.scm.0.sha1`;
    if (body.value(shaPath) === undefined) {
      return ignored('the trigger carries no git commit');
    }
    const gitSha = body.sha(shaPath);
    const created = body.time('details.created');
    const startedAt =
      body.optionalTime('content.execution.startTime') ?? created;
    const endedAt = body.optionalTime('content.execution.endTime') ?? created;
    const executionStatus = body.optionalString('content.execution.status');
    if (body.problems.length) return body.invalid();
    return {
      kind: 'events',
      service: {
        annotation: 'spinnaker.io/application-name',
        value: application,
      },
      events: [
        {
          source: SOURCE,
          eventType: 'deployment',
          eventId: `spinnaker:${executionId}:${type}`,
          payload: {
            clusterId: mapping.getString('clusterId'),
            serviceId: application,
            buildVersion:
              body.optionalString(`${trigger}.parameters.version`) ??
              shortSha(gitSha),
            gitSha,
            status,
            startedAt,
            ...(status === 'IN_PROGRESS' ? {} : { endedAt }),
            trigger:
              TRIGGERS.get(body.optionalString(`${trigger}.type`) ?? '') ??
              'merge',
            ...(status === 'FAILED'
              ? {
                  failureReason: `Spinnaker pipeline ${
                    executionStatus ?? 'failed'
                  }`,
                }
              : {}),
          },
        },
      ],
    };
  },
};

/** Installs the Spinnaker source adapter. @public */
export const deploymentQualityModuleSpinnakerSource = createSourceModule(
  spinnakerSourceAdapter,
);
