import { RootConfigService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { HumanDuration } from '@backstage/types';
import {
  Cluster,
  DEFAULT_DORA_BENCHMARK,
  DEFAULT_SCORECARD_POLICY,
  DORA_BENCHMARK_YEARS,
  DoraBenchmarkYear,
  SCORECARD_METRICS,
  ScorecardPolicy,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  SourceContext,
  createSourceContext,
} from '@deployment-quality/plugin-deployment-quality-node';
import {
  DEFAULT_SUITE_TYPE,
  SuiteTypeRule,
  suiteTypeSchema,
} from './reports/suiteTypes';

/** How a key may be presented; absent: any of the three. */
export type WebhookKeyType = 'secret' | 'bearer' | 'hmac';

export interface WebhookKey {
  name: string;
  secret: string;
  type?: WebhookKeyType;
  /** Requests per minute this credential may send (per replica); absent: no limit. */
  perMinute?: number;
}

const KEY_TYPES: WebhookKeyType[] = ['secret', 'bearer', 'hmac'];

export interface SqsConfig {
  queueUrl: string;
  region: string;
  endpoint?: string;
  waitTimeSeconds: number;
  maxMessages: number;
  visibilityTimeoutSeconds: number;
  consumers: number;
  consume: boolean;
}

/** Thresholds of the quality-gate check. */
export interface GatePolicy {
  requiredSuites: string[];
  /** By upper-case suite name, plus `default`. */
  minPassRate: Record<string, number>;
}

/** A test quarantined in `deploymentQuality.gates.quarantine`. */
export interface ConfiguredQuarantine {
  serviceId: string;
  suite: string;
  className: string;
  name: string;
  reason: string;
}

/** `deploymentQuality.ingestion.testReports`. */
export interface TestReportsConfig {
  /** Suite names and patterns → suite types, tried in order. */
  suites: SuiteTypeRule[];
  /** The type of suites no rule types, when the report names none. */
  defaultSuiteType: string;
  /** Consecutive runs of a test on one build version within which a fail and a pass make it flaky. */
  flakyFlipWindow: number;
}

/** `deploymentQuality.diagnostics`. */
export interface DiagnosticsConfig {
  /** Rows of dq_rejected_events kept; the oldest are dropped beyond. */
  maxRejectedEvents: number;
}

export interface DeploymentQualityConfig {
  clusters: Cluster[];
  gates: GatePolicy;
  /** Tests whose failures don't fail a gate, from config. */
  quarantine: ConfiguredQuarantine[];
  scorecard: ScorecardPolicy;
  webhook: {
    maxBodyBytes: number;
    keys: WebhookKey[];
  };
  /** Absent: embedded mode, the webhook stores directly. */
  sqs?: SqsConfig;
  testReports: TestReportsConfig;
  diagnostics: DiagnosticsConfig;
  analytics: {
    maxStaleSeconds: number;
    doraBenchmark: DoraBenchmarkYear;
    reworkWindowMinutes: number;
  };
}

const RATE_LIMIT = 'deploymentQuality.ingestion.webhook.rateLimit.perMinute';

function perMinuteOf(value: number | undefined, where: string) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 1_000_000) {
    throw new Error(`${where} must be an integer from 0 to 1000000`);
  }
  return value;
}

/**
 * A credential's rate: its own `perMinute` when set (0: none), else the
 * default of `ingestion.webhook.rateLimit.perMinute`; absent: no limit.
 */
function rateOf(
  credential: { getOptionalNumber(key: string): number | undefined },
  fallback: number | undefined,
  where: string,
): { perMinute?: number } {
  const own = perMinuteOf(credential.getOptionalNumber('perMinute'), where);
  const perMinute = own ?? fallback;
  return perMinute ? { perMinute } : {};
}

/** The default requests per minute of every ingest credential, if set. */
function defaultPerMinute(config: RootConfigService): number | undefined {
  return perMinuteOf(config.getOptionalNumber(RATE_LIMIT), RATE_LIMIT);
}

const DEFAULT_MAX_REJECTED_EVENTS = 10_000;

function readAnalyticsConfig(
  config: RootConfigService,
): DeploymentQualityConfig['analytics'] {
  const prefix = 'deploymentQuality.analytics';
  const integer = (key: string, fallback: number, max: number) => {
    const value = config.getOptionalNumber(`${prefix}.${key}`) ?? fallback;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new Error(`${prefix}.${key} must be an integer from 0 to ${max}`);
    }
    return value;
  };
  const benchmark =
    config.getOptionalString(`${prefix}.doraBenchmark`) ??
    DEFAULT_DORA_BENCHMARK;
  if (!(DORA_BENCHMARK_YEARS as readonly string[]).includes(benchmark)) {
    throw new Error(
      `${prefix}.doraBenchmark must be one of ${DORA_BENCHMARK_YEARS.join(
        ', ',
      )}`,
    );
  }
  return {
    // How old fleet-wide analytics and scorecards may be served; see FiguresCache.
    maxStaleSeconds: integer('maxStaleSeconds', 60, 3600),
    doraBenchmark: benchmark as DoraBenchmarkYear,
    reworkWindowMinutes: integer('reworkWindowMinutes', 1440, 30 * 1440),
  };
}

function readDiagnosticsConfig(config: RootConfigService): DiagnosticsConfig {
  const key = 'deploymentQuality.diagnostics.maxRejectedEvents';
  const max = config.getOptionalNumber(key) ?? DEFAULT_MAX_REJECTED_EVENTS;
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`${key} must be a positive integer`);
  }
  return { maxRejectedEvents: max };
}

function assertLongSecrets(keys: WebhookKey[], where: string) {
  for (const key of keys) {
    if (key.secret.length < 16) {
      throw new Error(
        `${where}: the secret of '${key.name}' must be at least 16 characters`,
      );
    }
  }
}

/**
 * The secrets of a source adapter (`deploymentQuality.sources.<id>.secrets`,
 * several so they can be rotated), and the rest of its config for the
 * adapter's mappings.
 */
export function readSourceConfig(
  config: RootConfigService,
  sourceId: string,
): { secrets: WebhookKey[]; context: SourceContext } {
  const where = `deploymentQuality.sources.${sourceId}`;
  const source = config.getOptionalConfig(where);
  const fallback = defaultPerMinute(config);
  const secrets = (source?.getOptionalConfigArray('secrets') ?? []).map(s => ({
    name: s.getString('name'),
    secret: s.getString('secret'),
    ...rateOf(s, fallback, `${where}.secrets.perMinute`),
  }));
  assertLongSecrets(secrets, `${where}.secrets`);
  return { secrets, context: createSourceContext(source) };
}

function bounded(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  key: string,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(
      `deploymentQuality.ingestion.sqs.${key} must be an integer from ${min} to ${max}`,
    );
  }
  return v;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Reads `deploymentQuality` from app-config, applying the documented defaults. */
export function readDeploymentQualityConfig(
  config: RootConfigService,
): DeploymentQualityConfig {
  const dq = config.getOptionalConfig('deploymentQuality');
  const clusters = (dq?.getOptionalConfigArray('clusters') ?? []).map(c => ({
    id: c.getString('id'),
    name: c.getString('name'),
    type: c.getOptionalString('type') ?? '',
    role: c.getOptionalString('role') ?? '',
    description: c.getOptionalString('description') ?? '',
    ...(c.has('region') ? { region: c.getString('region') } : {}),
    configured: true,
  }));
  const webhook = dq?.getOptionalConfig('ingestion.webhook');
  const fallback = defaultPerMinute(config);
  const keys = (webhook?.getOptionalConfigArray('keys') ?? []).map(k => {
    const type = k.getOptionalString('type');
    if (type !== undefined && !KEY_TYPES.includes(type as WebhookKeyType)) {
      throw new Error(
        `deploymentQuality.ingestion.webhook.keys: type of '${k.getString(
          'name',
        )}' must be one of ${KEY_TYPES.join(', ')}`,
      );
    }
    return {
      name: k.getString('name'),
      secret: k.getString('secret'),
      ...(type ? { type: type as WebhookKeyType } : {}),
      ...rateOf(
        k,
        fallback,
        'deploymentQuality.ingestion.webhook.keys.perMinute',
      ),
    };
  });
  assertLongSecrets(keys, 'deploymentQuality.ingestion.webhook.keys');
  const sqs = dq?.getOptionalConfig('ingestion.sqs');
  const gates = dq?.getOptionalConfig('gates');
  const minPassRate: Record<string, number> = { default: 100 };
  const rates = gates?.getOptionalConfig('minPassRate');
  for (const suite of rates?.keys() ?? []) {
    const rate = rates!.getNumber(suite);
    if (!(rate >= 0 && rate <= 100)) {
      throw new Error(
        `deploymentQuality.gates.minPassRate.${suite} must be from 0 to 100`,
      );
    }
    minPassRate[suite === 'default' ? suite : suite.toUpperCase()] = rate;
  }
  return {
    clusters,
    scorecard: readScorecardPolicy(dq?.getOptionalConfig('scorecard')),
    gates: {
      requiredSuites: (
        gates?.getOptionalStringArray('requiredSuites') ?? []
      ).map(suite => suite.toUpperCase()),
      minPassRate,
    },
    quarantine: (gates?.getOptionalConfigArray('quarantine') ?? []).map(
      entry => ({
        serviceId: entry.getString('serviceId'),
        suite: entry.getString('suite'),
        className: entry.getOptionalString('className') ?? '',
        name: entry.getString('name'),
        reason:
          entry.getOptionalString('reason') ?? 'quarantined in app-config',
      }),
    ),
    ...(sqs
      ? {
          sqs: {
            queueUrl: sqs.getString('queueUrl'),
            region:
              sqs.getOptionalString('region') ??
              regionOfQueueUrl(sqs.getString('queueUrl')) ??
              'us-east-1',
            ...(sqs.has('endpoint')
              ? { endpoint: sqs.getString('endpoint') }
              : {}),
            waitTimeSeconds: bounded(
              sqs.getOptionalNumber('waitTimeSeconds'),
              20,
              0,
              20,
              'waitTimeSeconds',
            ),
            maxMessages: bounded(
              sqs.getOptionalNumber('maxMessages'),
              10,
              1,
              10,
              'maxMessages',
            ),
            visibilityTimeoutSeconds: bounded(
              sqs.getOptionalNumber('visibilityTimeoutSeconds'),
              60,
              1,
              43200,
              'visibilityTimeoutSeconds',
            ),
            consumers: bounded(
              sqs.getOptionalNumber('consumers'),
              1,
              1,
              32,
              'consumers',
            ),
            consume: sqs.getOptionalBoolean('consume') ?? true,
          },
        }
      : {}),
    webhook: {
      maxBodyBytes:
        webhook?.getOptionalNumber('maxBodyBytes') ?? DEFAULT_MAX_BODY_BYTES,
      keys,
    },
    testReports: readTestReportsConfig(config),
    diagnostics: readDiagnosticsConfig(config),
    analytics: readAnalyticsConfig(config),
  };
}

/** A configured suite type, upper-cased; one the contract refuses throws. */
function suiteTypeAt(value: string, where: string): string {
  const parsed = suiteTypeSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`${where}: ${parsed.error.issues[0].message}`);
  }
  return parsed.data;
}

function readTestReportsConfig(config: RootConfigService): TestReportsConfig {
  const where = 'deploymentQuality.ingestion.testReports';
  const reports = config.getOptionalConfig(where);
  const suites = (reports?.getOptionalConfigArray('suites') ?? []).map(
    (rule, i): SuiteTypeRule => {
      const suiteType = suiteTypeAt(
        rule.getString('suiteType'),
        `${where}.suites[${i}].suiteType`,
      );
      const name = rule.getOptionalString('name');
      const pattern = rule.getOptionalString('pattern');
      if ((name === undefined) === (pattern === undefined)) {
        throw new Error(
          `${where}.suites[${i}] must have either name or pattern`,
        );
      }
      return name !== undefined
        ? { name, suiteType }
        : { pattern: pattern!, suiteType };
    },
  );
  return {
    suites,
    defaultSuiteType: suiteTypeAt(
      reports?.getOptionalString('defaultSuiteType') ?? DEFAULT_SUITE_TYPE,
      `${where}.defaultSuiteType`,
    ),
    flakyFlipWindow: flipWindowAt(reports, `${where}.flakyFlipWindow`),
  };
}

function flipWindowAt(reports: Config | undefined, where: string): number {
  const value = reports?.getOptionalNumber('flakyFlipWindow') ?? 5;
  if (!Number.isInteger(value) || value < 2 || value > 50) {
    throw new Error(`${where} must be a whole number from 2 to 50`);
  }
  return value;
}

/** `https://sqs.us-west-2.amazonaws.com/…` → `us-west-2`. */
function regionOfQueueUrl(url: string): string | undefined {
  return url.match(/^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\//)?.[1];
}

function readScorecardPolicy(
  config: ReturnType<RootConfigService['getOptionalConfig']>,
): ScorecardPolicy {
  const defaults = DEFAULT_SCORECARD_POLICY;
  const weights = { ...defaults.weights };
  const thresholds = { ...defaults.thresholds };
  for (const metric of SCORECARD_METRICS) {
    const weight = config?.getOptionalNumber(`weights.${metric}`);
    if (weight !== undefined) {
      if (!(weight >= 0)) {
        throw new Error(
          `deploymentQuality.scorecard.weights.${metric} must not be negative`,
        );
      }
      weights[metric] = weight;
    }
    const t = config?.getOptionalConfig(`thresholds.${metric}`);
    if (t)
      thresholds[metric] = {
        good: t.getNumber('good'),
        bad: t.getNumber('bad'),
      };
  }
  const grades = config?.getOptionalConfigArray('grades')?.map(g => ({
    grade: g.getString('grade'),
    min: g.getNumber('min'),
  }));
  return {
    weights,
    thresholds,
    grades: grades
      ? [...grades].sort((a, b) => b.min - a.min)
      : defaults.grades,
  };
}

/** `deploymentQuality.visibility`: how long decisions and links may lag. */
export function readVisibilityConfig(config: RootConfigService): {
  cacheMs: number;
  catalogSync: HumanDuration;
} {
  const visibility = config.getOptionalConfig('deploymentQuality.visibility');
  const cacheSeconds = visibility?.getOptionalNumber('cacheSeconds') ?? 60;
  if (!(cacheSeconds >= 0 && cacheSeconds <= 3600)) {
    throw new Error(
      'deploymentQuality.visibility.cacheSeconds must be from 0 to 3600',
    );
  }
  return {
    cacheMs: cacheSeconds * 1000,
    catalogSync: visibility?.has('catalogSync')
      ? readDurationFromConfig(visibility, { key: 'catalogSync' })
      : { minutes: 5 },
  };
}
