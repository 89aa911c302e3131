import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  AttemptStatus,
  BOUNDS,
  ScorecardPolicy,
} from '@deployment-quality/plugin-deployment-quality-common';
import type { z as zod } from 'zod/v3';
import { GatePolicy } from '../config';
import { DeploymentQueries } from '../read/DeploymentQueries';
import { VisibilityResolver } from '../visibility/VisibilityResolver';
import { TestCaseStore } from '../database/TestCases';
import { resolveWindow } from '../analytics/window';

export interface ActionsOptions {
  queries: DeploymentQueries;
  access: Pick<
    VisibilityResolver,
    'reader' | 'resolveEntity' | 'resolveRollup'
  >;
  gatePolicy: GatePolicy;
  scorecardPolicy: ScorecardPolicy;
  testCases: Pick<TestCaseStore, 'flaky'>;
  flakyFlipWindow: number;
}

type Zod = typeof zod;

const MAX_FAILURES = 50;
const MAX_FLAKY = 100;
/** Every tool only reads: agents may call them without asking. */
const READ_ONLY = { readOnly: true, idempotent: true, destructive: false };
const MAX_HOURS = 24 * 30;

/** The input naming a Component, as every per-service tool takes it. */
const componentRef = (z: Zod) =>
  z
    .string()
    .min(1)
    .describe(
      'The Component: `component:default/checkout`, `default/checkout` or `checkout`',
    );

/** `component:default/name`, `default/name` or `name` → its parts. */
function entityOf(ref: string, defaultKind: string) {
  try {
    const { kind, namespace, name } = parseEntityRef(ref, {
      defaultKind,
      defaultNamespace: 'default',
    });
    return { kind, namespace, name };
  } catch (error) {
    throw new InputError(`Invalid entityRef: ${(error as Error).message}`);
  }
}

/**
 * The plugin's read-only tools for AI agents, in the actions registry (the
 * MCP actions backend serves them). Each answers with the caller's
 * visibility, through the same resolver and queries as the HTTP routes: a
 * service or entity the caller may not read is "not found", as a missing
 * one, and lists and figures count only what the caller may see.
 */
export function registerDeploymentQualityActions(
  registry: ActionsRegistryService,
  {
    queries,
    access,
    gatePolicy,
    scorecardPolicy,
    testCases,
    flakyFlipWindow,
  }: ActionsOptions,
): void {
  const component = async (
    entityRef: string,
    credentials: BackstageCredentials,
  ) => access.resolveEntity(entityOf(entityRef, 'component'), credentials);

  registry.register({
    name: 'get-deployment-status',
    title: 'Deployment status of a service',
    description:
      'Where a service (a catalog Component) runs: for each cluster-region, the version running there, its latest deployment attempt (status, build, start) and that attempt’s test gates. list-recent-failures gives failure reasons.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z.object({
          entityRef: componentRef(z),
        }),
      output: z =>
        z.object({
          entityRef: z.string(),
          serviceId: z.string(),
          clusters: z.array(
            z.object({
              clusterId: z.string(),
              clusterName: z.string(),
              currentVersion: z.string().nullable(),
              latestAttempt: z.object({
                id: z.string(),
                buildVersion: z.string(),
                status: z.string(),
                startedAt: z.string(),
              }),
              gates: z
                .record(
                  z.object({
                    passed: z.number(),
                    total: z.number(),
                    failed: z.number(),
                    skipped: z.number(),
                  }),
                )
                .describe('The latest run of each test suite, by suite'),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const { entityRef, serviceId } = await component(
        input.entityRef,
        credentials,
      );
      const summary = await queries.entitySummary(entityRef, serviceId);
      return {
        output: {
          entityRef,
          serviceId,
          clusters: summary.clusters.map(c => ({
            clusterId: c.cluster.id,
            clusterName: c.cluster.name,
            currentVersion: c.currentVersion ?? null,
            latestAttempt: {
              id: c.latestAttempt.id,
              buildVersion: c.latestAttempt.buildVersion,
              status: c.latestAttempt.status,
              startedAt: c.latestAttempt.startedAt,
            },
            gates: c.gates,
          })),
        },
      };
    },
  });

  registry.register({
    name: 'check-promotion-gate',
    title: 'May a build be promoted',
    description:
      'Whether a build of a service may be promoted onward (for example to production): its latest attempt on the cluster-region where it was tested succeeded, every required test suite ran there, and each suite’s latest run meets its pass-rate threshold. Answers each suite’s result and the reasons when not.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z.object({
          serviceId: z.string().min(1).max(BOUNDS.length.serviceId),
          buildVersion: z.string().min(1).max(BOUNDS.length.buildVersion),
          clusterId: z
            .string()
            .min(1)
            .max(BOUNDS.length.clusterId)
            .describe('The cluster-region where the build ran its gates'),
          toClusterId: z
            .string()
            .max(BOUNDS.length.clusterId)
            .optional()
            .describe('Where it would be promoted to (echoed in the answer)'),
        }),
      output: z =>
        z.object({
          passed: z.boolean(),
          attemptId: z.string(),
          attemptStatus: z.string(),
          toClusterId: z.string().optional(),
          suites: z.array(z.object({ suite: z.string() }).passthrough()),
          reasons: z.array(z.string()),
        }),
    },
    action: async ({ input, credentials }) => {
      const visibility = await access.reader(credentials);
      const gate = await queries.gateCheck(
        {
          serviceId: input.serviceId,
          buildVersion: input.buildVersion,
          clusterId: input.clusterId,
        },
        gatePolicy,
        visibility,
      );
      return {
        output: {
          passed: gate.passed,
          attemptId: gate.attemptId,
          attemptStatus: gate.attemptStatus,
          ...(input.toClusterId ? { toClusterId: input.toClusterId } : {}),
          suites: gate.suites,
          reasons: gate.reasons,
        },
      };
    },
  });

  registry.register({
    name: 'get-dora-metrics',
    title: 'DORA figures of a service or a team',
    description:
      'DORA’s five keys over a window (default: the last 30 days) for a Component, or rolled up over the Components a Group owns or a System or Domain holds (those the caller may read): deployment frequency, lead time, change failure rate, failed deployment recovery time and deployment rework rate, each with its tier against the 2023 or 2024 DORA report.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .min(1)
            .describe(
              'A Component (`component:default/checkout`), a Group (`group:default/payments`), a System or a Domain',
            ),
          from: z.string().optional().describe('YYYY-MM-DD or a timestamp'),
          to: z.string().optional().describe('YYYY-MM-DD or a timestamp'),
          benchmark: z.enum(['2023', '2024']).optional(),
        }),
      output: z =>
        z.object({
          entityRef: z.string(),
          window: z.object({ from: z.string(), to: z.string() }),
          dora: z.object({}).passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      const ref = entityOf(input.entityRef, 'component');
      const query = {
        from: input.from,
        to: input.to,
        benchmark: input.benchmark,
      };
      if (ref.kind.toLowerCase() === 'component') {
        const { entityRef, serviceId } = await access.resolveEntity(
          ref,
          credentials,
        );
        const analytics = await queries.analytics(
          { ...query, serviceId, bucket: 'week' },
          { fromEntity: true },
        );
        return {
          output: {
            entityRef,
            window: { from: analytics.filter.from, to: analytics.filter.to },
            dora: analytics.dora,
          },
        };
      }
      const { entityRef, members, truncated } = await access.resolveRollup(
        ref,
        credentials,
      );
      const rollup = await queries.rollup(
        entityRef,
        members,
        truncated,
        query,
        scorecardPolicy,
      );
      return {
        output: { entityRef, window: rollup.window, dora: rollup.dora },
      };
    },
  });

  registry.register({
    name: 'list-flaky-tests',
    title: 'Flaky tests of a service',
    description:
      'The tests of a service (a catalog Component) that both failed and passed in a window (default the last 30 days): passed on a retry, on a rerun of the same deployment attempt, or within a few runs of one build version. Flakiest first, with the flake rate, the runs that prove it and their failure signatures.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z.object({
          entityRef: componentRef(z),
          from: z.string().optional().describe('YYYY-MM-DD or a timestamp'),
          to: z.string().optional().describe('YYYY-MM-DD or a timestamp'),
          limit: z.number().int().min(1).max(MAX_FLAKY).optional(),
        }),
      output: z =>
        z.object({
          entityRef: z.string(),
          window: z.object({ from: z.string(), to: z.string() }),
          definition: z.string(),
          tests: z.array(
            z.object({
              suite: z.string(),
              className: z.string(),
              name: z.string(),
              flakeRate: z.number(),
              flakyRuns: z.number(),
              runs: z.number(),
              lastSeen: z.string(),
              evidence: z.array(z.object({ kind: z.string() }).passthrough()),
            }),
          ),
          more: z.boolean(),
        }),
    },
    action: async ({ input, credentials }) => {
      const { entityRef, serviceId } = await component(
        input.entityRef,
        credentials,
      );
      const flaky = await testCases.flaky(
        serviceId,
        resolveWindow({ from: input.from, to: input.to, bucket: 'day' }),
        flakyFlipWindow,
      );
      const limit = input.limit ?? 20;
      return {
        output: {
          entityRef,
          window: { from: flaky.filter.from, to: flaky.filter.to },
          definition: flaky.definitions.flaky,
          tests: flaky.tests.slice(0, limit).map(t => ({
            suite: t.suite,
            className: t.className,
            name: t.name,
            flakeRate: t.flakeRate,
            flakyRuns: t.flakyRuns,
            runs: t.runs,
            lastSeen: t.lastSeen,
            evidence: t.evidence,
          })),
          more: flaky.truncated || flaky.tests.length > limit,
        },
      };
    },
  });

  registry.register({
    name: 'list-recent-failures',
    title: 'Recent failed deployments',
    description:
      'Deployment attempts that FAILED or were rolled back in the last hours (default 24), newest first, with their failure reasons: of one Component, of one cluster-region, or of every service the caller may see.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z.object({
          entityRef: z.string().optional().describe('Only this Component'),
          clusterId: z.string().max(BOUNDS.length.clusterId).optional(),
          hours: z.number().int().min(1).max(MAX_HOURS).optional(),
          limit: z.number().int().min(1).max(MAX_FAILURES).optional(),
        }),
      output: z =>
        z.object({
          failures: z.array(
            z.object({
              attemptId: z.string(),
              serviceId: z.string(),
              clusterId: z.string(),
              buildVersion: z.string(),
              status: z.string(),
              startedAt: z.string(),
              endedAt: z.string().nullable(),
              failureReason: z.string().nullable(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const limit = input.limit ?? 20;
      const since = Date.now() - (input.hours ?? 24) * 3_600_000;
      const entity = input.entityRef
        ? await component(input.entityRef, credentials)
        : undefined;
      const visibility = entity ? undefined : await access.reader(credentials);
      const page = (status: AttemptStatus) =>
        entity
          ? queries.listEntityAttempts({
              serviceId: entity.serviceId,
              clusterId: input.clusterId,
              status,
              limit,
            })
          : queries.listAttempts(
              { clusterId: input.clusterId, status, limit },
              visibility!,
            );
      const pages = await Promise.all([page('FAILED'), page('ROLLBACK')]);
      const failures = pages
        .flatMap(p => p.attempts)
        .filter(a => Date.parse(a.startedAt) >= since)
        .sort(
          (a, b) =>
            b.startedAt.localeCompare(a.startedAt) ||
            (a.id < b.id ? 1 : Number(a.id > b.id) * -1),
        )
        .slice(0, limit);
      return {
        output: {
          failures: failures.map(a => ({
            attemptId: a.id,
            serviceId: a.serviceId,
            clusterId: a.clusterId,
            buildVersion: a.buildVersion,
            status: a.status,
            startedAt: a.startedAt,
            endedAt: a.endedAt ?? null,
            failureReason: a.failureReason ?? null,
          })),
        },
      };
    },
  });
}
