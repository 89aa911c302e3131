import { SourceAdapter } from '@deployment-quality/plugin-deployment-quality-node';
import { NativeBody, createSourceModule, ignored, shortSha } from './util';

const SOURCE = 'jenkins';

/**
 * `build.status` of a finished build → attempt status; NOT_BUILT is ignored.
 * A Map, since the status comes from the body: `constructor` must not find
 * Object's prototype.
 */
const STATUSES = new Map<string, 'SUCCESS' | 'FAILED'>([
  ['SUCCESS', 'SUCCESS'],
  ['FAILURE', 'FAILED'],
  ['UNSTABLE', 'FAILED'],
  // An aborted deploy must still end its attempt, or it stays in progress.
  ['ABORTED', 'FAILED'],
]);

/**
 * Jenkins' Notification plugin (JSON format, HTTP protocol): `{ name, url,
 * build: { number, phase, status, timestamp?, duration?, full_url, scm: {
 * commit }, parameters? } }`. The plugin sends no custom headers, so the
 * shared secret travels as the password of the endpoint URL's user-info
 * (`https://jenkins:<secret>@backstage.example.com/...`), which it sends as
 * HTTP Basic auth.
 *
 * - Cluster: the job's entry in `jobs: [{ job, clusterId }]`, else the build
 *   parameter named by `clusterParameter` (default `CLUSTER`); a build with
 *   neither is ignored (a job that doesn't deploy).
 * - Build version: the build parameter named by `versionParameter` (default
 *   `VERSION`), else the short commit. Run number: the build number.
 * - Phase STARTED → IN_PROGRESS; COMPLETED and FINALIZED → the build's
 *   status (one event id for both, so either or both may be subscribed);
 *   QUEUED is ignored. FAILURE, UNSTABLE and ABORTED are failures.
 * - Times: `timestamp` (start) and `timestamp + duration` (end), which
 *   current plugin versions send; the published example (an older version)
 *   has neither, and then the time the notification arrived stands in.
 *
 * Service: the catalog entity annotated `jenkins.io/job-full-name: <name>`,
 * else the job's last path segment.
 */
export const jenkinsSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: { type: 'shared-secret' },
  map(delivery, { config }) {
    const body = new NativeBody(delivery.body);
    const job = body.string('name');
    const number = body.integer('build.number');
    const phase = body.string('build.phase');
    if (body.problems.length) return body.invalid();
    if (phase === 'QUEUED') return ignored('build queued');
    const finished = phase === 'COMPLETED' || phase === 'FINALIZED';
    if (!finished && phase !== 'STARTED') {
      return ignored(`phase ${phase} is not used`);
    }
    const buildStatus = finished ? body.string('build.status') : '';
    const status = finished ? STATUSES.get(buildStatus) : 'IN_PROGRESS';
    if (!status) return ignored(`build status ${buildStatus} is no outcome`);

    const parameter = (name: string) =>
      body.optionalString(`build.parameters.${name}`);
    const mapped = (config.getOptionalConfigArray('jobs') ?? []).find(
      j => j.getString('job') === job,
    );
    const clusterId =
      mapped?.getString('clusterId') ??
      parameter(config.getOptionalString('clusterParameter') ?? 'CLUSTER');
    if (!clusterId) {
      return ignored(`job ${job} names no cluster (jobs mapping or parameter)`);
    }
    const gitSha = body.sha('build.scm.commit');
    const heardAt = delivery.receivedAt.getTime();
    const start = body.value('build.timestamp');
    const duration = body.value('build.duration');
    const startMs = typeof start === 'number' ? start : heardAt;
    const endMs =
      typeof start === 'number' && typeof duration === 'number'
        ? start + duration
        : heardAt;
    if (body.problems.length) return body.invalid();
    return {
      kind: 'events',
      service: { annotation: 'jenkins.io/job-full-name', value: job },
      events: [
        {
          source: SOURCE,
          eventType: 'deployment',
          eventId: `jenkins:${job}:${number}:${
            finished ? 'finished' : 'started'
          }`,
          payload: {
            clusterId,
            serviceId: job.split('/').pop() ?? job,
            buildVersion:
              parameter(
                config.getOptionalString('versionParameter') ?? 'VERSION',
              ) ?? shortSha(gitSha),
            gitSha,
            status,
            startedAt: new Date(startMs).toISOString(),
            ...(finished
              ? { endedAt: new Date(Math.max(endMs, startMs)).toISOString() }
              : {}),
            trigger: 'merge',
            runNumber: number,
            ...(status === 'FAILED'
              ? { failureReason: `Jenkins build ${buildStatus}` }
              : {}),
          },
        },
      ],
    };
  },
};

/** Installs the Jenkins source adapter. @public */
export const deploymentQualityModuleJenkinsSource =
  createSourceModule(jenkinsSourceAdapter);
