import { Knex } from 'knex';
import { BackendFeature } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { serviceEntity } from './__testUtils__/entities';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { deploymentQualityPlugin } from './plugin';
import { deploymentQualityModuleAwsCostExplorerSource } from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import {
  CodeBlock,
  ShellStep,
  codeBlocks,
  githubActionsSteps,
  jenkinsShSteps,
  looksLikeCiExample,
} from './__testUtils__/ciExamples';
import { LocalSqs, eventually, startLocalSqs } from './__testUtils__/localSqs';

/*
 * Every CI example of the README and docs/ (a fenced block marked
 * `<!-- ci-example: <kind> -->`), run as written against a running backend:
 * shell with bash, a GitHub Actions step's script and a Jenkins `sh` step the
 * way those CIs run them, the SDK snippet with Node. Each example gets a
 * backend of its own, so what is stored afterwards is what it sent.
 */

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');
const BASE = '/api/deployment-quality';
const KEY = 'ci-examples-secret-0123456789';

const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter(name => name.endsWith('.md'))
    .map(name => `docs/${name}`),
];
const blocks = FILES.flatMap(name =>
  codeBlocks(name, readFileSync(join(ROOT, name), 'utf8')),
);
const examples = blocks.filter(block => block.kind);

// What the CI would know: when the deployment began (seconds, as `date -u`
// writes it), the build, its commit and the CI's build number.
const STARTED_AT = new Date(Date.now() - 7 * 60_000)
  .toISOString()
  .replace(/\.\d{3}Z$/, 'Z');
const VERSION = '5.1.0';
const GIT_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const BUILD_NUMBER = '481';
const CI_JOB_URL = 'https://ci.example.com/jobs/481';

/** The tests' JUnit report the examples upload from reports/junit.xml. */
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="smoke" tests="3" failures="1" errors="0" skipped="1" time="4.5">
  <testcase classname="smoke" name="signs in" time="1.5"/>
  <testcase classname="smoke" name="checks out" time="3"><failure message="timeout"/></testcase>
  <testcase classname="smoke" name="refunds"><skipped/></testcase>
</testsuite>
`;
const REPORT_RUN = { total: 3, passed: 1, failed: 1, skipped: 1 };

// -u: a variable the test doesn't set fails the run instead of expanding to
// nothing. Otherwise as GitHub runs a `run` script and Jenkins an `sh` step.
const BASH = ['bash', '--noprofile', '--norc', '-eu'];
const JENKINS_SH = ['sh', '-xeu'];

/** The running backend. */
interface Target {
  server: Parameters<typeof request>[0];
  /** The plugin's base URL: `DQ_URL`. */
  url: string;
  /** Its ingest queue, in queue mode. */
  sqs?: LocalSqs;
}

/** A script, how to run it and in what environment. */
interface Step extends ShellStep {
  command: string[];
  file: string;
}

interface ExampleKind {
  /** Sends to the ingest queue: the backend runs in queue mode. */
  queue?: boolean;
  steps(code: string, target: Target): Step[];
  /** Sent before the example, which doesn't send its deployment itself. */
  before?(code: string, target: Target): Promise<void>;
  /** What the stored attempt says, from the CI's environment. */
  attempt?: Record<string, unknown>;
  /** It uploads REPORT: its test run has the report's counts. */
  report?: Record<string, unknown>;
  /**
   * When it stores something else than a deployment and its test results:
   * a read of it, and what the read must answer.
   */
  stored?: { read(target: Target): Promise<unknown>; expected: unknown };
  /** Configures a source adapter (its module installed) the example sends to. */
  source?: { id: string; feature: BackendFeature; config: JsonObject };
}

const shell = (script: string, env: Record<string, string>): Step => ({
  command: BASH,
  file: 'example.sh',
  script,
  env,
});

const webhookEnv = (target: Target) => ({ DQ_URL: target.url, DQ_KEY: KEY });

const awsEnv = ({ sqs }: Target) => ({
  DQ_QUEUE_URL: sqs!.queueUrl,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  // The AWS CLI v1 sends SQS calls of the regions it knows to AWS whatever
  // AWS_ENDPOINT_URL_SQS says (the README says so too).
  AWS_REGION: 'local',
  AWS_DEFAULT_REGION: 'local',
  AWS_ENDPOINT_URL_SQS: sqs!.endpoint,
});

// The job's: its build number ends the attempt id (the run number).
const fromTheJob = {
  id: expect.stringMatching(new RegExp(`:${BUILD_NUMBER}$`)),
  startedAt: new Date(STARTED_AT).toISOString(),
};

const DAY_MS = 86_400_000;
const daysAgo = (n: number) =>
  new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

/**
 * What `aws ce get-cost-and-usage` answers, from the published shape (the
 * adapter's fixture), in two pages of a day each, dated the last two days
 * so retention keeps them.
 */
function costExplorerPages(): string[] {
  const answer = JSON.parse(
    readFileSync(
      join(
        ROOT,
        'plugins/deployment-quality-backend-module-sources/src/__fixtures__/aws-cost-explorer.daily-by-service-tag-and-region.json',
      ),
      'utf8',
    ),
  );
  return answer.ResultsByTime.map((result: any, i: number) =>
    JSON.stringify({
      ...answer,
      ResultsByTime: [
        {
          ...result,
          TimePeriod: { Start: daysAgo(2 - i), End: daysAgo(1 - i) },
        },
      ],
      ...(i === 0 ? { NextPageToken: 'page-2' } : {}),
    }),
  );
}

/**
 * An `aws` on PATH that answers `ce get-cost-and-usage --granularity DAILY`
 * with the pages, the second for `--next-page-token page-2`, and fails on
 * anything else: the example's own commands around it run as written.
 */
function withAwsStub(code: string): string {
  const [first, second] = costExplorerPages();
  return `mkdir -p "$HOME/bin"
cat > "$HOME/bin/aws" <<'STUB'
#!/bin/bash
set -eu
args=" $* "
[[ "$args" == *" ce get-cost-and-usage "* && "$args" == *" --granularity DAILY "* ]] || { echo "unexpected: aws $*" >&2; exit 2; }
if [[ "$args" == *" --next-page-token page-2 "* ]]; then
  cat <<'PAGE'
${second}
PAGE
else
  cat <<'PAGE'
${first}
PAGE
fi
STUB
chmod +x "$HOME/bin/aws"
export PATH="$HOME/bin:$PATH"
${code}`;
}

/** What the service `authn` cost, per currency, as its entity route answers. */
const authnCost = async (target: Target) =>
  (
    await request(target.server).get(
      `${BASE}/entities/default/component/authentication/cost`,
    )
  ).body.currencies;

const KINDS: Record<string, ExampleKind> = {
  curl: {
    steps: (code, target) => [shell(code, webhookEnv(target))],
  },
  'curl-cluster-validation': {
    steps: (code, target) => [shell(code, webhookEnv(target))],
    stored: {
      read: async target =>
        (
          await request(target.server).get(
            `${BASE}/clusters/mira-us-west-2/validations`,
          )
        ).body.suites,
      expected: [
        expect.objectContaining({
          suite: 'conformance',
          latest: expect.objectContaining({ failed: 3, ok: false }),
        }),
      ],
    },
  },
  'curl-scorecard': {
    steps: (code, target) => [shell(code, webhookEnv(target))],
    stored: {
      read: async target =>
        (
          await request(target.server).get(
            `${BASE}/entities/default/component/authentication/external-scorecards`,
          )
        ).body.scorecards,
      expected: [
        expect.objectContaining({
          name: 'soundcheck: production readiness',
          latest: expect.objectContaining({
            score: 4,
            maxScore: 5,
            percent: 80,
          }),
        }),
      ],
    },
  },
  'curl-cost': {
    steps: (code, target) => [shell(code, webhookEnv(target))],
    stored: {
      read: authnCost,
      expected: [
        expect.objectContaining({
          currency: 'USD',
          total: 41.27,
          breakdown: [{ id: 'mira-us-west-2', amount: 41.27 }],
          days: [{ date: daysAgo(1), amount: 41.27, estimated: true }],
        }),
      ],
    },
  },
  'aws-cost-explorer': {
    steps: (code, target) => [
      shell(withAwsStub(code), { DQ_URL: target.url, DQ_COST_SECRET: KEY }),
    ],
    source: {
      id: 'aws-cost-explorer',
      feature: deploymentQualityModuleAwsCostExplorerSource,
      config: {
        secrets: [{ name: 'cost-job', secret: KEY }],
        services: [{ tag: 'checkout', serviceId: 'authn' }],
        clusters: [{ name: 'us-east-1', clusterId: 'aquila-us-east-1' }],
      },
    },
    stored: {
      read: authnCost,
      // checkout in us-east-1 on both days (12.3456789012 and 11.80000045,
      // each to a millionth); eu-west-1 is no configured cluster.
      expected: [
        expect.objectContaining({
          currency: 'USD',
          total: 24.145679,
          breakdown: [{ id: 'aquila-us-east-1', amount: 24.145679 }],
          days: [
            { date: daysAgo(2), amount: 12.345679, estimated: false },
            { date: daysAgo(1), amount: 11.8, estimated: true },
          ],
        }),
      ],
    },
  },
  'curl-test-report': {
    steps: (code, target) => [
      shell(code, { ...webhookEnv(target), VERSION, CI_JOB_URL }),
    ],
    // The deployment of the build the example's query names.
    async before(code, target) {
      const query = new URLSearchParams(code.match(/\?([^"]*)"/)![1]);
      await request(target.server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', KEY)
        .send({
          source: 'test',
          eventType: 'deployment',
          payload: {
            clusterId: query.get('clusterId'),
            serviceId: query.get('serviceId'),
            buildVersion: VERSION,
            gitSha: GIT_SHA,
            status: 'SUCCESS',
            trigger: 'merge',
            startedAt: STARTED_AT,
            endedAt: new Date().toISOString(),
          },
        })
        .expect(202);
    },
    attempt: { buildVersion: VERSION },
    report: { ...REPORT_RUN, reportUrl: CI_JOB_URL },
  },
  'github-actions': {
    steps: (code, target) =>
      githubActionsSteps(code, {
        'vars.DQ_URL': target.url,
        'secrets.DQ_GITHUB_ACTIONS_SECRET': KEY,
        "job.status == 'success' && 'SUCCESS' || 'FAILED'": 'SUCCESS',
        'steps.deploy.outputs.started_at': STARTED_AT,
      }).map(step =>
        shell(step.script, {
          // What the runner sets in every step.
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_REF_NAME: VERSION,
          GITHUB_SHA: GIT_SHA,
          GITHUB_RUN_NUMBER: BUILD_NUMBER,
          GITHUB_RUN_ID: '9876543210',
          GITHUB_RUN_ATTEMPT: '1',
          ...step.env,
        }),
      ),
    attempt: {
      ...fromTheJob,
      buildVersion: VERSION,
      gitSha: GIT_SHA,
      status: 'SUCCESS',
    },
    report: REPORT_RUN,
  },
  jenkins: {
    steps: (code, target) =>
      jenkinsShSteps(
        code,
        { 'currentBuild.currentResult': 'SUCCESS' },
        KEY,
      ).map(step => ({
        ...shell(step.script, {
          // What Jenkins and the Git plugin set, and the README's prose
          // says the pipeline's `environment` does.
          BUILD_NUMBER,
          BUILD_TAG: `jenkins-billing-deploy-${BUILD_NUMBER}`,
          GIT_COMMIT: GIT_SHA,
          DQ_URL: target.url,
          VERSION,
          STARTED_AT,
          ...step.env,
        }),
        command: JENKINS_SH,
      })),
    attempt: {
      ...fromTheJob,
      buildVersion: VERSION,
      gitSha: GIT_SHA,
      status: 'SUCCESS',
    },
    report: REPORT_RUN,
  },
  'aws-cli': {
    queue: true,
    steps: (code, target) => [
      shell(code, { ...awsEnv(target), BUILD_NUMBER, STARTED_AT }),
    ],
    attempt: fromTheJob,
  },
  'aws-sdk': {
    queue: true,
    steps: (code, target) => [
      {
        command: [
          process.execPath,
          '--no-warnings',
          '--experimental-strip-types',
        ],
        file: 'example.mts',
        script: code,
        env: {
          ...awsEnv(target),
          BUILD_NUMBER,
          BUILD_TAG: `jenkins-authn-promote-${BUILD_NUMBER}`,
          STARTED_AT,
        },
      },
    ],
    attempt: fromTheJob,
  },
};

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** The plugin on a fresh SQLite database; in queue mode on `sqs`. */
async function startBackend(
  sqs: LocalSqs | undefined,
  source?: ExampleKind['source'],
) {
  const knex = await databases.init('SQLITE_3');
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      ...(source ? [source.feature] : []),
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({
        entities: [serviceEntity('authentication', { serviceId: 'authn' })],
      }),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: {
            ...(source ? { sources: { [source.id]: source.config } } : {}),
            ingestion: {
              webhook: { keys: [{ name: 'ci', secret: KEY }] },
              ...(sqs
                ? {
                    sqs: {
                      queueUrl: sqs.queueUrl,
                      endpoint: sqs.endpoint,
                      region: 'us-east-1',
                      waitTimeSeconds: 1,
                    },
                  }
                : {}),
            },
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  return {
    server: backend.server,
    knex,
    url: `http://127.0.0.1:${port}${BASE}`,
    stop: () => backend.stop(),
  };
}

/**
 * Runs a step in `dir`, which is also its HOME (no ~/.aws of this machine
 * leaks in); of this process's environment it gets only PATH.
 */
async function run(step: Step, dir: string): Promise<void> {
  const path = join(dir, step.file);
  await writeFile(path, step.script);
  const [file, ...args] = step.command;
  try {
    await promisify(execFile)(file, [...args, path], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, ...step.env },
      timeout: 30_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${error}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
}

/** What the example stored answers the kind's read as expected. */
async function expectStored(
  stored: NonNullable<ExampleKind['stored']>,
  target: Target,
) {
  expect(await stored.read(target)).toEqual(stored.expected);
}

/** One attempt, as the CI's environment says, with its test runs linked. */
async function expectDeploymentLinked(
  kind: ExampleKind,
  backend: { knex: Knex; server: Target['server'] },
) {
  const attempts = await backend.knex('dq_attempts').select('id');
  expect(attempts).toHaveLength(1);
  const [{ id }] = attempts;
  const build = await request(backend.server)
    .get(`${BASE}/builds/${encodeURIComponent(id)}`)
    .expect(200);
  expect(build.body.attempt).toMatchObject({ id, ...kind.attempt });
  // Linked: every run stored is the attempt's, its service filled in
  // (a run that came first would wait without one).
  const runs = await backend
    .knex('dq_test_runs')
    .select('attempt_id', 'service_id');
  expect(runs.length).toBeGreaterThan(0);
  expect(runs).toEqual(
    runs.map(() => ({
      attempt_id: id,
      service_id: build.body.attempt.serviceId,
    })),
  );
  expect(build.body.testRuns).toEqual(
    runs.map(() => expect.objectContaining({ attemptId: id, ...kind.report })),
  );
}

describe('CI examples', () => {
  it('are all marked, and none went missing', () => {
    const counts: Record<string, number> = {};
    for (const { kind } of examples) counts[kind!] = (counts[kind!] ?? 0) + 1;
    expect(counts).toEqual({
      curl: 2,
      'curl-cluster-validation': 1,
      'curl-scorecard': 1,
      'curl-cost': 1,
      'aws-cost-explorer': 1,
      'curl-test-report': 1,
      'github-actions': 1,
      jenkins: 1,
      'aws-cli': 1,
      'aws-sdk': 1,
    });
    const unmarked = blocks.filter(b => !b.kind && looksLikeCiExample(b));
    expect(unmarked.map(b => b.where)).toEqual([]);
  });

  it.each(
    examples.map((e): [string, string, CodeBlock] => [e.kind!, e.where, e]),
  )(
    '%s at %s stores what it sends, as the answer to its read says',
    async (kindName, _where, { code }) => {
      const kind = KINDS[kindName];
      expect(kind).toBeDefined();
      // A queue of its own: a stopped backend's last receive may still hide
      // messages of the next example for the visibility timeout.
      const sqs = kind.queue ? await startLocalSqs() : undefined;
      const backend = await startBackend(sqs, kind.source);
      const dir = await mkdtemp(join(tmpdir(), 'dq-ci-example-'));
      try {
        const target = { ...backend, sqs };
        await mkdir(join(dir, 'reports'));
        await writeFile(join(dir, 'reports', 'junit.xml'), REPORT);
        // The SDK example imports @aws-sdk/client-sqs as a CI's project would.
        await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
        await kind.before?.(code, target);
        for (const step of kind.steps(code, target)) await run(step, dir);
        if (sqs) {
          // A message leaves the queue once the consumer has written it.
          await eventually(async () => (await sqs.depth(sqs.queueUrl)) === 0);
        }
        await (kind.stored
          ? expectStored(kind.stored, target)
          : expectDeploymentLinked(kind, backend));
      } finally {
        await backend.stop();
        await sqs?.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
