import { WebhookEvent } from '@deployment-quality/plugin-deployment-quality-common';
import { SourceAdapter } from '@deployment-quality/plugin-deployment-quality-node';
import { createHash } from 'node:crypto';
import { NativeBody, clusterOf, createSourceModule, ignored } from './util';

const SOURCE = 'aws-cost-explorer';
/** The contract's longest event id. */
const MAX_EVENT_ID = 200;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const CURRENCY = /^[A-Z]{3}$/;
/** A decimal number as AWS writes it (`12.3456789012`), exponent allowed. */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal amount in integer millionths of its unit, rounded half away from
 * zero, computed on the digits (no binary floating point on the way, so
 * `0.1` + `0.2` adds up to exactly `0.3`). Undefined unless it is a finite
 * decimal number.
 */
export function millionthsOf(amount: unknown): bigint | undefined {
  const text =
    typeof amount === 'number' && Number.isFinite(amount)
      ? String(amount)
      : amount;
  if (typeof text !== 'string') return undefined;
  const match = DECIMAL.exec(text);
  // At least one digit, and finite: `1e999` is not an amount.
  if (!match || !(match[2] || match[3]) || !Number.isFinite(Number(text))) {
    return undefined;
  }
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return 0n;
  // amount × 10⁶ = digits × 10^shift. Being finite bounds the exponent (and
  // so the zeros appended) once the leading zeros are dropped.
  const shift = Number(exponent) + 6 - fraction.length;
  let millionths: bigint;
  if (shift >= 0) {
    millionths = BigInt(digits + '0'.repeat(shift));
  } else {
    const keep = digits.length + shift;
    const head = keep > 0 ? BigInt(digits.slice(0, keep)) : 0n;
    const next = keep >= 0 ? digits[keep] : '0';
    millionths = head + (next >= '5' ? 1n : 0n);
  }
  return sign === '-' ? -millionths : millionths;
}

/** The day after a `YYYY-MM-DD` date, or undefined for anything else. */
function nextDay(date: string): string | undefined {
  const ms = DATE.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  // `2026-02-30` parses as March 2nd: the round trip must give it back.
  if (new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return new Date(ms + DAY_MS).toISOString().slice(0, 10);
}

/**
 * The event id: the figure is in it, so a restated day (AWS revises its
 * estimates) is a new event while an identical report re-sent is a
 * duplicate. Service (≤128) and cluster (≤64) ids can make it longer than
 * the contract allows; such an id is replaced by its SHA-256, as unique.
 */
function eventIdOf(parts: string[]): string {
  const id = `aws-cost:${parts.join(':')}`;
  return id.length <= MAX_EVENT_ID
    ? id
    : `aws-cost:sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/**
 * The value a group key holds for its definition: a tag's and a cost
 * category's keys read `key$value` (`service$checkout`; untagged:
 * `service$`), a dimension's the raw value (`us-east-1`).
 */
function valueOf(type: string, key: string): string {
  if (type === 'DIMENSION') return key;
  const dollar = key.indexOf('$');
  return dollar < 0 ? key : key.slice(dollar + 1);
}

/**
 * AWS Cost Explorer's `GetCostAndUsage` answer, as `aws ce
 * get-cost-and-usage --granularity DAILY --metrics UnblendedCost --group-by
 * Type=TAG,Key=service [Type=DIMENSION,Key=REGION]` prints it: `{
 * GroupDefinitions: [{ Type, Key }], ResultsByTime: [{ TimePeriod: { Start,
 * End }, Groups: [{ Keys, Metrics: { <metric>: { Amount, Unit } } }],
 * Estimated }] }`. A cron job pipes it to curl, so the shared secret is a
 * header. Each day × group becomes a `cost` event.
 *
 * - Service: the report must group by the cost-allocation tag `serviceTag`
 *   (default `service`), else it is refused (path `GroupDefinitions`). With
 *   `services: [{ tag, serviceId }]` only the listed tag values count (other
 *   groups are skipped); without it the tag value is the service id as is
 *   (one that isn't a valid id is refused by validation, naming it). The
 *   untagged group (`service$`) is skipped.
 * - Cluster: the report's other grouping, if any (a tag's or cost category's
 *   value, a dimension's raw value such as the region), through `clusters:
 *   [{ name, clusterId }]` (unlisted names skipped; without the list the
 *   value is the cluster id as is); else the configured `clusterId`. A
 *   report with neither is ignored.
 * - Each period must be one day (`--granularity DAILY`): its `Start` is the
 *   event's `date`; a longer period is refused (path
 *   `ResultsByTime.<i>.TimePeriod`). `estimated`: the period's `Estimated`.
 * - Amount and currency: the group's `metric` (default `UnblendedCost`),
 *   `Amount` (a decimal string) and `Unit` (an ISO 4217 code). Groups of one
 *   day that map to one service, cluster and currency (two tag values, two
 *   regions of one cluster) are added up into one event, exactly: in
 *   integer millionths (each amount rounded half away from zero), since a
 *   later figure for the same service, cluster, day and currency replaces
 *   the earlier one.
 * - Event id: `aws-cost:<service>:<cluster>:<date>:<currency>:<millionths>`,
 *   so a restated day is a new event and a re-sent report a duplicate.
 * - A report in which no group maps to a service and a cluster is ignored.
 *   Pages (`NextPageToken`) are separate deliveries.
 *
 * Service ids come from the tag (or `services`), not from a catalog lookup.
 */
export const awsCostExplorerSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: { type: 'shared-secret' },
  map(delivery, { config }) {
    const serviceTag = config.getOptionalString('serviceTag') ?? 'service';
    const metric = config.getOptionalString('metric') ?? 'UnblendedCost';
    const fixedClusterId = config.getOptionalString('clusterId');
    const serviceList = config.getOptionalConfigArray('services');
    // A Map, since tag values come from the body: `constructor` must not
    // find Object's prototype.
    const services =
      serviceList &&
      new Map<string, string>(
        serviceList.map(s => [s.getString('tag'), s.getString('serviceId')]),
      );

    const body = new NativeBody(delivery.body);
    if (body.problems.length) return body.invalid();
    const definitions = body.array('GroupDefinitions').map((_, i) => ({
      type: body.string(`GroupDefinitions.${i}.Type`),
      key: body.string(`GroupDefinitions.${i}.Key`),
    }));
    const results = body.array('ResultsByTime');
    if (body.value('ResultsByTime') === undefined) {
      body.problem('ResultsByTime', 'is required');
    }
    if (body.problems.length) return body.invalid();
    const serviceIndex = definitions.findIndex(
      d => d.type === 'TAG' && d.key === serviceTag,
    );
    if (serviceIndex < 0) {
      body.problem(
        'GroupDefinitions',
        `must group by the cost-allocation tag ${serviceTag} (--group-by Type=TAG,Key=${serviceTag})`,
      );
    } else if (definitions.length > 2) {
      body.problem('GroupDefinitions', 'must hold at most two groupings');
    }
    if (body.problems.length) return body.invalid();
    const clusterIndex = definitions.length === 2 ? 1 - serviceIndex : -1;
    if (clusterIndex < 0 && !fixedClusterId) {
      return ignored(
        'the report has no second grouping to take the cluster from, and no clusterId is configured',
      );
    }

    const events: WebhookEvent[] = [];
    results.forEach((_, i) => {
      const at = `ResultsByTime.${i}`;
      const start = body.string(`${at}.TimePeriod.Start`);
      const end = body.string(`${at}.TimePeriod.End`);
      if (start && end && nextDay(start) !== end) {
        body.problem(
          `${at}.TimePeriod`,
          `must be one day, not ${start} to ${end}: use --granularity DAILY`,
        );
      }
      const estimated = body.value(`${at}.Estimated`);
      if (estimated !== undefined && typeof estimated !== 'boolean') {
        body.problem(`${at}.Estimated`, 'must be a boolean');
      }

      // (service, cluster, currency) → the day's sum in millionths.
      const sums = new Map<
        string,
        { serviceId: string; clusterId: string; currency: string; sum: bigint }
      >();
      body.array(`${at}.Groups`).forEach((__, j) => {
        const group = `${at}.Groups.${j}`;
        const keys = body.array(`${group}.Keys`);
        if (
          keys.length !== definitions.length ||
          keys.some(k => typeof k !== 'string')
        ) {
          body.problem(
            `${group}.Keys`,
            `must hold one key (a string) per group definition (${definitions.length})`,
          );
          return;
        }
        const serviceKey = keys[serviceIndex] as string;
        if (!serviceKey.startsWith(`${serviceTag}$`)) {
          body.problem(
            `${group}.Keys.${serviceIndex}`,
            `must read ${serviceTag}$<value>`,
          );
          return;
        }
        const amountPath = `${group}.Metrics.${metric}.Amount`;
        const unitPath = `${group}.Metrics.${metric}.Unit`;
        if (body.value(`${group}.Metrics.${metric}`) === undefined) {
          body.problem(`${group}.Metrics.${metric}`, 'is required');
          return;
        }
        const millionths = millionthsOf(body.value(amountPath));
        if (millionths === undefined) {
          body.problem(amountPath, 'must be a decimal number');
        }
        const currency = body.string(unitPath);
        if (currency && !CURRENCY.test(currency)) {
          body.problem(
            unitPath,
            `must be a currency (ISO 4217 code, e.g. USD): is ${metric} a cost metric?`,
          );
        }
        if (body.problems.length || millionths === undefined) return;

        const tagValue = valueOf('TAG', serviceKey);
        // Untagged resources (`service$`) belong to no service.
        const serviceId = services ? services.get(tagValue) : tagValue;
        if (!tagValue || !serviceId) return;
        let clusterId = fixedClusterId;
        if (clusterIndex >= 0) {
          const name = valueOf(
            definitions[clusterIndex].type,
            keys[clusterIndex] as string,
          );
          const cluster = clusterOf(config, 'clusters', 'name', [name]);
          clusterId = 'clusterId' in cluster ? cluster.clusterId : undefined;
        }
        if (!clusterId) return;

        const key = JSON.stringify([serviceId, clusterId, currency]);
        const entry = sums.get(key);
        if (entry) entry.sum += millionths;
        else sums.set(key, { serviceId, clusterId, currency, sum: millionths });
      });
      if (body.problems.length) return;

      for (const { serviceId, clusterId, currency, sum } of sums.values()) {
        events.push({
          source: SOURCE,
          eventType: 'cost',
          eventId: eventIdOf([serviceId, clusterId, start, currency, `${sum}`]),
          payload: {
            serviceId,
            clusterId,
            date: start,
            // Exact: an integer below 2⁵³ divided by 10⁶ is the double
            // nearest to the decimal.
            amount: Number(sum) / 1_000_000,
            currency,
            ...(typeof estimated === 'boolean' ? { estimated } : {}),
          },
        });
      }
    });
    if (body.problems.length) return body.invalid();
    if (!events.length) {
      return ignored('no group maps to a service and cluster');
    }
    return { kind: 'events', events };
  },
};

/** Installs the AWS Cost Explorer source adapter. @public */
export const deploymentQualityModuleAwsCostExplorerSource = createSourceModule(
  awsCostExplorerSourceAdapter,
);
