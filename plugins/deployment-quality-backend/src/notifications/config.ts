import { Config } from '@backstage/config';
import { parseEntityRef } from '@backstage/catalog-model';

export type Severity = 'critical' | 'high' | 'normal' | 'low';
const SEVERITIES: Severity[] = ['critical', 'high', 'normal', 'low'];

export type RuleId =
  | 'deploymentFailed'
  | 'gateFailed'
  | 'passRateDrop'
  | 'deadLetters'
  | 'consumerDown'
  | 'rollupsStuck';

export interface Rule {
  enabled: boolean;
  severity: Severity;
  dedupeMs: number;
}

export interface NotificationRules {
  deploymentFailed: Rule & { clusterTypes: string[] };
  gateFailed: Rule & { settleMs: number };
  passRateDrop: Rule & { points: number; runs: number };
  deadLetters: Rule;
  consumerDown: Rule & { afterMs: number };
  rollupsStuck: Rule & { afterMs: number };
}

export interface NotificationConfig {
  enabled: boolean;
  adminEntityRef?: string;
  pollSeconds: number;
  rules: NotificationRules;
}

const MINUTE = 60_000;
const KEY = 'deploymentQuality.notifications';

/** `deploymentQuality.notifications`, with its defaults; throws naming a bad key. */
export function readNotificationConfig(root: Config): NotificationConfig {
  const config = root.getOptionalConfig(KEY);
  const rules = config?.getOptionalConfig('rules');
  const number = (
    c: Config | undefined,
    key: string,
    path: string,
    fallback: number,
    [min, max]: [number, number],
  ) => {
    const value = c?.getOptionalNumber(key) ?? fallback;
    if (!(value >= min && value <= max)) {
      throw new Error(`${KEY}.${path} must be from ${min} to ${max}`);
    }
    return value;
  };
  const rule = (id: RuleId, severity: Severity, dedupeMinutes: number) => {
    const c = rules?.getOptionalConfig(id);
    const chosen = (c?.getOptionalString('severity') ?? severity) as Severity;
    if (!SEVERITIES.includes(chosen)) {
      throw new Error(
        `${KEY}.rules.${id}.severity must be one of ${SEVERITIES.join(', ')}`,
      );
    }
    const minutes = (key: string, fallback: number) =>
      number(c, key, `rules.${id}.${key}`, fallback, [0, 7 * 24 * 60]) * MINUTE;
    return {
      c,
      minutes,
      rule: {
        enabled: c?.getOptionalBoolean('enabled') ?? true,
        severity: chosen,
        dedupeMs: minutes('dedupeMinutes', dedupeMinutes),
      },
    };
  };

  const failed = rule('deploymentFailed', 'high', 30);
  const gate = rule('gateFailed', 'normal', 60);
  const drop = rule('passRateDrop', 'normal', 240);
  const consumer = rule('consumerDown', 'critical', 60);
  const rollups = rule('rollupsStuck', 'high', 60);
  const adminEntityRef = config?.getOptionalString('adminEntityRef');
  if (adminEntityRef !== undefined) {
    try {
      parseEntityRef(adminEntityRef);
    } catch {
      throw new Error(
        `${KEY}.adminEntityRef must be an entity ref such as group:default/platform-team`,
      );
    }
  }
  return {
    enabled: config?.getOptionalBoolean('enabled') ?? false,
    adminEntityRef,
    pollSeconds: number(config, 'pollSeconds', 'pollSeconds', 10, [1, 3600]),
    rules: {
      deploymentFailed: {
        ...failed.rule,
        clusterTypes: (
          failed.c?.getOptionalStringArray('clusterTypes') ?? ['Production']
        ).map(t => t.toLowerCase()),
      },
      gateFailed: { ...gate.rule, settleMs: gate.minutes('settleMinutes', 5) },
      passRateDrop: {
        ...drop.rule,
        points: number(
          drop.c,
          'points',
          'rules.passRateDrop.points',
          10,
          [0, 100],
        ),
        runs: number(drop.c, 'runs', 'rules.passRateDrop.runs', 10, [3, 100]),
      },
      deadLetters: rule('deadLetters', 'critical', 60).rule,
      consumerDown: {
        ...consumer.rule,
        afterMs: consumer.minutes('afterMinutes', 5),
      },
      rollupsStuck: {
        ...rollups.rule,
        afterMs: rollups.minutes('afterMinutes', 10),
      },
    },
  };
}
