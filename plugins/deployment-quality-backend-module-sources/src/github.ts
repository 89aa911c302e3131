import { Config } from '@backstage/config';
import {
  TRIGGERS,
  Trigger,
  WebhookEvent,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  SourceAdapter,
  SourceDelivery,
  SourceMapping,
  SourceServiceLookup,
  suiteTypeOf,
} from '@deployment-quality/plugin-deployment-quality-node';
import {
  NativeBody,
  clusterOf,
  createSourceModule,
  ignored,
  isRecord,
  shortSha,
} from './util';

const SOURCE = 'github';

/**
 * The GitHub event a delivery carries: the `X-GitHub-Event` header, or for
 * queue messages (no headers) the payload's own top-level key. A
 * `deployment_status` body also carries its `deployment` (and sometimes a
 * `workflow_run`), so the more specific keys are tried first.
 */
function eventOf(delivery: SourceDelivery): string | undefined {
  const header = delivery.headers['x-github-event'];
  if (header) return header;
  const body = delivery.body;
  if (!isRecord(body)) return undefined;
  if ('zen' in body) return 'ping';
  return [
    'deployment_status',
    'deployment',
    'workflow_job',
    'workflow_run',
  ].find(key => key in body);
}

/**
 * `deployment_status.state` → attempt status; `inactive` is ignored. A Map,
 * since the state comes from the body: `constructor` must not find Object's
 * prototype.
 */
const DEPLOYMENT_STATES = new Map<string, 'IN_PROGRESS' | 'SUCCESS' | 'FAILED'>(
  [
    ['queued', 'IN_PROGRESS'],
    ['pending', 'IN_PROGRESS'],
    ['in_progress', 'IN_PROGRESS'],
    ['success', 'SUCCESS'],
    ['failure', 'FAILED'],
    ['error', 'FAILED'],
  ],
);

/** Workflow conclusions that say whether a deploy or test worked. */
const PASSED = ['success'];
const FAILED = ['failure', 'timed_out', 'startup_failure'];

interface Workflow {
  /** `deploy` or `test`; anything else matches neither and is ignored. */
  kind: string;
  clusterId: string;
  suiteType?: string;
}

/**
 * The configured workflow (`workflows: [{ workflow, kind, clusterId,
 * suiteType? }]`) matching any of the given names: a workflow's `name`, or
 * for `workflow_run` also its file `path` (octokit's published
 * workflow_run example has an empty name, so the path is the reliable key).
 */
function workflowOf(
  config: Config,
  names: Array<string | undefined>,
): Workflow | undefined {
  const entry = (config.getOptionalConfigArray('workflows') ?? []).find(w =>
    names.includes(w.getString('workflow')),
  );
  if (!entry) return undefined;
  return {
    kind: entry.getString('kind'),
    clusterId: entry.getString('clusterId'),
    suiteType: entry.getOptionalString('suiteType'),
  };
}

/**
 * GitHub's webhooks, signed with `X-Hub-Signature-256` (HMAC-SHA256 of the
 * raw body with the webhook's secret).
 *
 * - `deployment` (created) and `deployment_status`: one attempt per GitHub
 *   deployment (its id is the run number, so the status updates of one
 *   deployment land on one attempt). Cluster from the environment
 *   (`environments` mapping); sha from the deployment; build version from
 *   the deployment's `payload.version` when the deployer set one, else the
 *   short sha; trigger from `payload.trigger` when it is one of ours, else
 *   `merge`. Started at the deployment's creation, ended at the final
 *   status's creation. `inactive` (a later deployment superseded this one)
 *   is ignored.
 * - `workflow_run` completed, for workflows configured with `kind: deploy`:
 *   a finished attempt on the workflow's `clusterId`; run number =
 *   `run_number` (a re-run updates the same attempt with its later outcome),
 *   started at `run_started_at`, ended at `updated_at` (GitHub sends no
 *   completion time), trigger `manual` for `workflow_dispatch` runs.
 * - `workflow_job` completed, for workflows configured with `kind: test`: one
 *   test run per job (suite = the workflow's `suiteType`, else the job's
 *   name), counted as one test that passed, failed or was skipped; for real
 *   counts upload the job's JUnit report to `/ingest/test-reports`.
 *
 * Cancelled, neutral and other inconclusive results are ignored: they say
 * nothing about the change. Service: the catalog entity annotated
 * `github.com/project-slug: <owner/repo>`, else the repository's name.
 */
export const githubSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: {
    type: 'hmac-sha256',
    header: 'x-hub-signature-256',
    prefix: 'sha256=',
  },
  map(delivery, { config }) {
    const event = eventOf(delivery);
    const body = new NativeBody(delivery.body);
    if (body.problems.length) return body.invalid();
    const service: SourceServiceLookup = {
      annotation: 'github.com/project-slug',
      value: body.string('repository.full_name'),
    };
    const serviceId = body.string('repository.name');
    const mapped = (events: WebhookEvent[]): SourceMapping =>
      body.problems.length
        ? body.invalid()
        : { kind: 'events', events, service };

    switch (event) {
      case 'ping':
        return ignored('ping: the webhook is set up');
      case 'deployment':
      case 'deployment_status':
        return deployment(body, event, config, serviceId, mapped);
      case 'workflow_run':
        return workflowRun(body, config, serviceId, mapped);
      case 'workflow_job':
        return workflowJob(body, config, serviceId, mapped);
      default:
        return ignored(`event ${event ?? '(unknown)'} is not used`);
    }
  },
};

type Mapped = (events: WebhookEvent[]) => SourceMapping;

function deployment(
  body: NativeBody,
  event: 'deployment' | 'deployment_status',
  config: Config,
  serviceId: string,
  mapped: Mapped,
): SourceMapping {
  const isStatus = event === 'deployment_status';
  const state = isStatus ? body.string('deployment_status.state') : 'queued';
  const status = DEPLOYMENT_STATES.get(state);
  if (body.problems.length) return body.invalid();
  if (!status) return ignored(`deployment state ${state} is not an outcome`);
  const cluster = clusterOf(config, 'environments', 'environment', [
    body.optionalString(
      isStatus ? 'deployment_status.environment' : 'deployment.environment',
    ) ?? body.optionalString('deployment.environment'),
  ]);
  if ('reason' in cluster) return ignored(cluster.reason);

  const gitSha = body.sha('deployment.sha');
  const deployer = body.value('deployment.payload');
  const given = (key: string) =>
    isRecord(deployer) && typeof deployer[key] === 'string'
      ? (deployer[key] as string)
      : undefined;
  const trigger = given('trigger');
  const finished = status !== 'IN_PROGRESS';
  return mapped([
    {
      source: SOURCE,
      eventType: 'deployment',
      eventId: isStatus
        ? `github:deployment_status:${body.integer('deployment_status.id')}`
        : `github:deployment:${body.integer('deployment.id')}`,
      payload: {
        clusterId: cluster.clusterId,
        serviceId,
        buildVersion: given('version') ?? shortSha(gitSha),
        gitSha,
        status,
        startedAt: body.time('deployment.created_at'),
        ...(finished
          ? { endedAt: body.time('deployment_status.created_at') }
          : {}),
        trigger: TRIGGERS.includes(trigger as Trigger)
          ? (trigger as Trigger)
          : 'merge',
        runNumber: body.integer('deployment.id'),
        ...(status === 'FAILED'
          ? {
              failureReason:
                body.optionalString('deployment_status.description') ??
                `GitHub deployment ${state}`,
            }
          : {}),
      },
    },
  ]);
}

function workflowRun(
  body: NativeBody,
  config: Config,
  serviceId: string,
  mapped: Mapped,
): SourceMapping {
  const action = body.string('action');
  const name = body.optionalString('workflow_run.name');
  const path = body.optionalString('workflow_run.path');
  const conclusion = body.optionalString('workflow_run.conclusion');
  if (body.problems.length) return body.invalid();
  if (action !== 'completed') return ignored(`workflow run ${action}`);
  const workflow = workflowOf(config, [name, path]);
  if (!workflow) {
    return ignored(`workflow ${name || path} is not configured`);
  }
  if (workflow.kind !== 'deploy') {
    return ignored(
      `workflow ${name || path} is configured as ${
        workflow.kind
      }: only deploy workflows are reported per run`,
    );
  }
  const passed = PASSED.includes(conclusion ?? '');
  if (!passed && !FAILED.includes(conclusion ?? '')) {
    return ignored(`conclusion ${conclusion} says nothing about the change`);
  }
  const gitSha = body.sha('workflow_run.head_sha');
  return mapped([
    {
      source: SOURCE,
      eventType: 'deployment',
      eventId: `github:workflow_run:${body.integer(
        'workflow_run.id',
      )}:${body.integer('workflow_run.run_attempt')}`,
      payload: {
        clusterId: workflow.clusterId,
        serviceId,
        buildVersion: shortSha(gitSha),
        gitSha,
        status: passed ? 'SUCCESS' : 'FAILED',
        startedAt: body.time('workflow_run.run_started_at'),
        endedAt: body.time('workflow_run.updated_at'),
        trigger:
          body.optionalString('workflow_run.event') === 'workflow_dispatch'
            ? 'manual'
            : 'merge',
        runNumber: body.integer('workflow_run.run_number'),
        ...(passed ? {} : { failureReason: `workflow ${conclusion}` }),
      },
    },
  ]);
}

function workflowJob(
  body: NativeBody,
  config: Config,
  serviceId: string,
  mapped: Mapped,
): SourceMapping {
  const action = body.string('action');
  const jobName = body.string('workflow_job.name');
  const workflowName = body.optionalString('workflow_job.workflow_name');
  const conclusion = body.optionalString('workflow_job.conclusion') ?? '';
  if (body.problems.length) return body.invalid();
  if (action !== 'completed') return ignored(`workflow job ${action}`);
  const workflow = workflowOf(config, [workflowName]);
  if (!workflow) return ignored(`workflow ${workflowName} is not configured`);
  if (workflow.kind !== 'test') {
    return ignored(
      `workflow ${workflowName} is configured as ${workflow.kind}: only test workflows are reported per job`,
    );
  }
  const outcome = {
    passed: Number(PASSED.includes(conclusion)),
    failed: Number(FAILED.includes(conclusion)),
    skipped: Number(conclusion === 'skipped'),
  };
  if (outcome.passed + outcome.failed + outcome.skipped === 0) {
    return ignored(`conclusion ${conclusion} says nothing about the tests`);
  }
  const started = body.time('workflow_job.started_at');
  const completed = body.time('workflow_job.completed_at');
  const gitSha = body.sha('workflow_job.head_sha');
  return mapped([
    {
      source: SOURCE,
      eventType: 'test-result',
      eventId: `github:workflow_job:${body.integer(
        'workflow_job.id',
      )}:${body.integer('workflow_job.run_attempt')}`,
      payload: {
        clusterId: workflow.clusterId,
        serviceId,
        buildVersion: shortSha(gitSha),
        suiteType: workflow.suiteType ?? suiteTypeOf(jobName),
        total: 1,
        ...outcome,
        durationSec: Math.max(
          0,
          (Date.parse(completed) - Date.parse(started)) / 1000,
        ),
        executedAt: completed,
        ...(body.optionalString('workflow_job.html_url')
          ? { reportUrl: body.optionalString('workflow_job.html_url') }
          : {}),
      },
    },
  ]);
}

/** Installs the GitHub source adapter. @public */
export const deploymentQualityModuleGithubSource =
  createSourceModule(githubSourceAdapter);
