import {
  COST_BREAKDOWN_LIMIT,
  COST_DEPLOYMENTS_LIMIT,
  COST_DEFINITIONS,
  CostInCurrency,
  CostPayload,
  CostResponse,
  DEPLOYED_STATUSES,
  DeploymentCostChange,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { INSERT_ROWS, chunks } from './chunks';
import { bumpVersion, readVersion } from './versions';
import { Visibility, onlyVisible } from '../visibility/Visibility';

type Row = Record<string, any>;

const DAY_MS = 86_400_000;
const MICRO = 1_000_000;

const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dateOf = (day: number) => new Date(day).toISOString().slice(0, 10);
/** Millionths back to the currency unit, without float noise (0.1 + 0.2). */
const unit = (micro: unknown) => Math.round(Number(micro)) / MICRO;

const KEY = ['service_id', 'cluster_id', 'day', 'source', 'currency'];

/** The version of the cost figures, moved by every write of them. */
const COST_GENERATION = 'costs-generation';

/** A (cluster-region, service) pair's key. */
const pairOf = (r: Row) => `${r.cluster_id}\u0000${r.service_id}`;

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * The latest successful deployments looked at for the cost changes: a
 * release of the last days has no figures after it yet, and the answer
 * lists the latest COST_DEPLOYMENTS_LIMIT that have.
 */
const COST_CANDIDATES = 200;

/**
 * Stores cost figures (each event once: the caller's event log tells which
 * are new). A figure replaces the stored one of its key when it was
 * received later, or at the same instant with a larger amount, so the
 * result doesn't depend on arrival order or batching.
 */
export async function writeCosts(
  tx: Knex.Transaction,
  events: Array<{
    eventId: string;
    source: string;
    receivedAt: string;
    payload: CostPayload;
  }>,
): Promise<void> {
  if (events.length === 0) return;
  const wins = (a: Row, b: Row) =>
    a.received_at > b.received_at ||
    (a.received_at === b.received_at && a.amount_micro > b.amount_micro);
  // One statement may not update a row twice: the batch's winner per key.
  const newest = new Map<string, Row>();
  for (const { eventId, source, receivedAt, payload: p } of events) {
    const row = {
      service_id: p.serviceId,
      cluster_id: p.clusterId,
      day: Date.parse(p.date),
      source,
      currency: p.currency,
      amount_micro: Math.round(p.amount * MICRO),
      estimated: p.estimated ?? false,
      event_id: eventId,
      received_at: Date.parse(receivedAt),
    };
    const key = KEY.map(c => (row as Row)[c]).join('\u0000');
    const seen = newest.get(key);
    if (!seen || wins(row, seen)) newest.set(key, row);
  }
  await bumpVersion(tx, COST_GENERATION);
  for (const chunk of chunks([...newest.values()], INSERT_ROWS)) {
    await tx('dq_costs')
      .insert(chunk)
      .onConflict(KEY)
      .merge(['amount_micro', 'estimated', 'event_id', 'received_at'])
      .where(q =>
        q
          .where('dq_costs.received_at', '<', tx.ref('excluded.received_at'))
          .orWhere(tie =>
            tie
              .where('dq_costs.received_at', tx.ref('excluded.received_at'))
              .where(
                'dq_costs.amount_micro',
                '<',
                tx.ref('excluded.amount_micro'),
              ),
          ),
      );
  }
}

/** Whose cost: a service (on every cluster) or a cluster-region (its visible services). */
export type CostScope =
  | { serviceId: string }
  | { clusterId: string; visibility: Visibility };

/** A cost answer's window: `from` inclusive, `to` exclusive, epoch ms. */
export interface CostWindow {
  from: number;
  to: number;
  compareDays: number;
}

/** Reads of the cost figures. */
export class Costs {
  constructor(private readonly db: Knex) {}

  /** Moves whenever cost figures are written: cached answers key on it. */
  generation(): Promise<number> {
    return readVersion(this.db, COST_GENERATION);
  }

  async hasCluster(clusterId: string): Promise<boolean> {
    return Boolean(
      await this.db('dq_costs').where('cluster_id', clusterId).first('id'),
    );
  }

  /**
   * A window's cost per currency and day, itemised by cluster (a service)
   * or by service (a cluster), per successful deployment, and the change of
   * daily cost around the latest successful deployments.
   */
  async report(scope: CostScope, window: CostWindow): Promise<CostResponse> {
    const { db } = this;
    const firstDay = dayOf(window.from);
    const lastDay = dayOf(window.to - 1);
    const byService = 'serviceId' in scope;
    const inScope = (table: string) => (q: Knex.QueryBuilder) =>
      'serviceId' in scope
        ? q.where(`${table}.service_id`, scope.serviceId)
        : q
            .where(`${table}.cluster_id`, scope.clusterId)
            .modify(onlyVisible(db, scope.visibility, `${table}.service_id`));
    const costs = () =>
      db('dq_costs')
        .modify(inScope('dq_costs'))
        .where('dq_costs.day', '>=', firstDay)
        .where('dq_costs.day', '<=', lastDay);
    const deployed = () =>
      db('dq_attempts')
        .modify(inScope('dq_attempts'))
        .whereIn('dq_attempts.status', DEPLOYED_STATUSES as string[])
        .where('dq_attempts.ended_at', '>=', window.from)
        .where('dq_attempts.ended_at', '<', window.to);
    const part = byService ? 'cluster_id' : 'service_id';

    const [days, parts, [{ n: deployments }], latest]: [
      Row[],
      Row[],
      Row[],
      Row[],
    ] = await Promise.all([
      costs()
        .select('currency', 'day')
        .sum({ amount: 'amount_micro' })
        // Booleans are 0/1 on SQLite and true/false on PostgreSQL.
        .select(
          db.raw(
            'sum(case when estimated then 1 else 0 end) as estimated_figures',
          ),
        )
        .groupBy('currency', 'day')
        .orderBy(['currency', 'day']),
      costs()
        .select('currency', `${part} as id`)
        .sum({ amount: 'amount_micro' })
        .groupBy('currency', part),
      deployed().count({ n: '*' }),
      deployed()
        .select('id', 'service_id', 'cluster_id', 'build_version', 'ended_at')
        .orderBy([
          { column: 'ended_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(COST_CANDIDATES),
    ]);

    const successfulDeployments = Number(deployments);
    const currencies = new Map<string, CostInCurrency>();
    const currency = (code: string) => {
      let c = currencies.get(code);
      if (!c) {
        c = {
          currency: code,
          total: 0,
          days: [],
          breakdown: [],
          breakdownCount: 0,
          perSuccessfulDeployment: null,
        };
        currencies.set(code, c);
      }
      return c;
    };
    const totals = new Map<string, number>();
    for (const r of days) {
      currency(r.currency).days.push({
        date: dateOf(Number(r.day)),
        amount: unit(r.amount),
        estimated: Number(r.estimated_figures) > 0,
      });
      totals.set(r.currency, (totals.get(r.currency) ?? 0) + Number(r.amount));
    }
    for (const [code, shares] of group(parts, r => r.currency)) {
      const c = currency(code);
      c.breakdownCount = shares.length;
      c.breakdown = shares
        .sort(
          (a, b) =>
            Number(b.amount) - Number(a.amount) ||
            (a.id < b.id ? -1 : Number(a.id > b.id)),
        )
        .slice(0, COST_BREAKDOWN_LIMIT)
        .map(r => ({ id: r.id, amount: unit(r.amount) }));
    }
    for (const [code, micro] of totals) {
      const c = currency(code);
      c.total = unit(micro);
      c.perSuccessfulDeployment = successfulDeployments
        ? unit(micro / successfulDeployments)
        : null;
    }

    return {
      filter: {
        ...('serviceId' in scope
          ? { serviceId: scope.serviceId }
          : { clusterId: scope.clusterId }),
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
        compareDays: window.compareDays,
      },
      successfulDeployments,
      currencies: [...currencies.values()].sort((a, b) =>
        a.currency < b.currency ? -1 : 1,
      ),
      deployments: (await this.changes(latest, window.compareDays))
        .filter(d => d.after.days > 0)
        .slice(0, COST_DEPLOYMENTS_LIMIT),
      definitions: COST_DEFINITIONS,
    };
  }

  /**
   * Each deployment's pair's mean daily cost over the `compareDays` days
   * before and after its day: one read of those pairs' days around them.
   */
  private async changes(
    deployments: Row[],
    compareDays: number,
  ): Promise<DeploymentCostChange[]> {
    if (deployments.length === 0) return [];
    const span = compareDays * DAY_MS;
    const dayMs = deployments.map(d => dayOf(Number(d.ended_at)));
    const pairs = [...new Map(deployments.map(d => [pairOf(d), d])).values()];
    const rows: Row[] = await this.db('dq_costs')
      .select('service_id', 'cluster_id', 'currency', 'day')
      .sum({ amount: 'amount_micro' })
      .where(q => {
        for (const p of pairs) {
          q.orWhere(w =>
            w
              .where('service_id', p.service_id)
              .where('cluster_id', p.cluster_id),
          );
        }
      })
      .where('day', '>=', Math.min(...dayMs) - span)
      .where('day', '<=', Math.max(...dayMs) + span)
      .groupBy('service_id', 'cluster_id', 'currency', 'day');
    const costsOf = group(rows, pairOf);
    // Another deployment of the pair, to flag an "after" it overlaps. Only
    // the listed ones are known; the newest listed can't be overlapped by
    // an unlisted (older) one.
    const endsOf = group(
      deployments.map(d => ({ pair: pairOf(d), at: Number(d.ended_at) })),
      e => e.pair,
    );
    const out: DeploymentCostChange[] = [];
    deployments.forEach((d, i) => {
      const day = dayMs[i];
      const own = costsOf.get(pairOf(d)) ?? [];
      for (const code of [...new Set(own.map(r => r.currency))].sort()) {
        const side = (lo: number, hi: number) => {
          const inSide = own.filter(
            r =>
              r.currency === code && Number(r.day) >= lo && Number(r.day) <= hi,
          );
          const sum = inSide.reduce((s, r) => s + Number(r.amount), 0);
          return {
            days: inSide.length,
            dailyMean: inSide.length ? unit(sum / inSide.length) : null,
          };
        };
        const before = side(day - span, day - DAY_MS);
        const after = side(day + DAY_MS, day + span);
        const change =
          before.dailyMean !== null && after.dailyMean !== null
            ? unit(Math.round((after.dailyMean - before.dailyMean) * MICRO))
            : null;
        out.push({
          attemptId: d.id,
          serviceId: d.service_id,
          clusterId: d.cluster_id,
          buildVersion: d.build_version,
          deployedAt: new Date(Number(d.ended_at)).toISOString(),
          currency: code,
          before,
          after,
          change,
          changePercent:
            change !== null && before.dailyMean
              ? Math.round((change / Math.abs(before.dailyMean)) * 1000) / 10
              : null,
          overlapped: (endsOf.get(pairOf(d)) ?? []).some(
            e => e.at > Number(d.ended_at) && dayOf(e.at) <= day + span,
          ),
        });
      }
    });
    return out;
  }
}
