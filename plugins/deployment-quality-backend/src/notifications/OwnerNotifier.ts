import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  Attempt,
  Cluster,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { GatePolicy } from '../config';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { evaluateGates } from '../gates/evaluateGates';
import { Quarantine } from '../database/Quarantine';
import { CatalogIndex } from '../visibility/CatalogIndex';
import { NotificationRules, RuleId } from './config';
import {
  FAILED_STATES,
  MAX_TRIES,
  NotifyQueue,
  QueuedNotification,
} from './NotifyQueue';
import { Notice, NotifyWindows, Outgoing } from './NotifyWindows';

/** Sends one notification; the notifications service in the plugin. */
export type SendNotification = (outgoing: Outgoing) => Promise<void>;

/** Queue items handled per pass, so a backlog can't hold one pass for long. */
const PASS_ITEMS = 200;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percent = (passed: number, total: number) =>
  Math.round((passed / total) * 10000) / 100;

export interface OwnerNotifierOptions {
  db: Knex;
  store: Pick<
    DeploymentQualityStore,
    'getAttempt' | 'getGates' | 'getRegisteredCluster'
  >;
  index: Pick<CatalogIndex, 'links'>;
  queue: NotifyQueue;
  windows: NotifyWindows;
  send: SendNotification;
  rules: NotificationRules;
  gatePolicy: GatePolicy;
  /** Quarantined tests: their failures don't fail a gate here either. */
  quarantine?: Pick<Quarantine, 'failuresOf'>;
  configuredClusters: Cluster[];
  /** Told about services without a catalog Component. */
  adminEntityRef?: string;
  logger: LoggerService;
}

/**
 * Turns what the write path queued (failed attempts, attempts with new test
 * runs) into notifications to the owners of each service's Component:
 * deploymentFailed, gateFailed and passRateDrop. Runs on one replica at a
 * time (a global scheduled task).
 */
export class OwnerNotifier {
  constructor(private readonly options: OwnerNotifierOptions) {}

  /** One pass over the due items, then the windows that closed. */
  async run(now = Date.now()): Promise<void> {
    const { queue, windows, send, logger } = this.options;
    const items = await queue.due(now, PASS_ITEMS);
    const done: number[] = [];
    for (const item of items) {
      try {
        await this.handle(item, now);
        done.push(item.id);
      } catch (error) {
        if (item.tries + 1 >= MAX_TRIES) {
          logger.error(
            `Gave up notifying about ${item.kind} of attempt ${item.attemptId} after ${MAX_TRIES} tries: ${error}`,
          );
          done.push(item.id);
        } else {
          logger.warn(
            `Notifying about ${item.kind} of attempt ${item.attemptId} failed, will retry: ${error}`,
          );
          await queue.later(item, now);
        }
      }
    }
    await queue.done(done);
    await windows.close(now, send);
  }

  private async handle(item: QueuedNotification, now: number) {
    const attempt = await this.options.store.getAttempt(item.attemptId);
    if (!attempt) return; // Gone with retention.
    if (item.kind === 'attempt') {
      await this.deploymentFailed(attempt, now);
    } else {
      await this.gateFailed(attempt, now);
      await this.passRateDrop(attempt, now);
    }
  }

  private async deploymentFailed(attempt: Attempt, now: number) {
    const rule = this.options.rules.deploymentFailed;
    if (!rule.enabled || !FAILED_STATES.includes(attempt.status)) return;
    const cluster = await this.cluster(attempt.clusterId);
    if (!rule.clusterTypes.includes((cluster?.type ?? '').toLowerCase())) {
      return;
    }
    const clusterName = cluster?.name ?? attempt.clusterId;
    const what =
      attempt.status === 'ROLLBACK' ? 'was rolled back' : 'failed to deploy';
    await this.fire(
      'deploymentFailed',
      `${attempt.clusterId}/${attempt.serviceId}`,
      attempt,
      now,
      target => ({
        title: `${target.title}: ${attempt.buildVersion} ${what} on ${clusterName}`,
        description: `Build ${attempt.buildVersion} of ${
          attempt.serviceId
        } ${what} on ${clusterName} (${attempt.clusterId})${
          attempt.failureReason ? `: ${attempt.failureReason}` : ''
        }.`,
        link: target.path('deployments'),
      }),
    );
  }

  private async gateFailed(attempt: Attempt, now: number) {
    const { rules, gatePolicy, store, quarantine } = this.options;
    if (!rules.gateFailed.enabled) return;
    const [gates, quarantined] = await Promise.all([
      store.getGates([attempt.id]),
      quarantine?.failuresOf(attempt.id, attempt.serviceId),
    ]);
    const result = evaluateGates(
      attempt,
      gates.get(attempt.id) ?? {},
      gatePolicy,
      quarantined,
    );
    // The deployment's own failure is deploymentFailed's to tell.
    const reasons = [
      ...result.suites
        .filter(s => !s.ok)
        .map(s =>
          s.passRate === null
            ? `${s.suite} ran no tests`
            : `${s.suite} passed ${s.passRate} % (threshold ${s.threshold} %)`,
        ),
      ...result.missing.map(s => `required suite ${s} has not run`),
    ];
    if (reasons.length === 0) return;
    await this.fire(
      'gateFailed',
      `${attempt.clusterId}/${attempt.serviceId}/${attempt.buildVersion}`,
      attempt,
      now,
      target => ({
        title: `${target.title}: the gate of ${attempt.buildVersion} fails on ${attempt.clusterId}`,
        description: `${reasons.join('; ')}.`,
        link: target.path('quality'),
      }),
    );
  }

  private async passRateDrop(attempt: Attempt, now: number) {
    const { rules, db } = this.options;
    const rule = rules.passRateDrop;
    if (!rule.enabled) return;
    const runs = await db('dq_test_runs')
      .where('attempt_id', attempt.id)
      .where('total', '>', 0)
      .orderBy('executed_at')
      .select('suite_type', 'passed', 'total', 'executed_at');
    const latest = new Map(runs.map(r => [r.suite_type as string, r]));
    for (const [suite, run] of latest) {
      const history = await db('dq_test_runs')
        .where({
          cluster_id: attempt.clusterId,
          service_id: attempt.serviceId,
          suite_type: suite,
        })
        .where('executed_at', '<', run.executed_at)
        .whereNot('attempt_id', attempt.id)
        .where('total', '>', 0)
        .orderBy('executed_at', 'desc')
        .limit(rule.runs)
        .select('passed', 'total');
      if (history.length < 3) continue;
      const usual = median(
        history.map(h => percent(Number(h.passed), Number(h.total))),
      );
      const rate = percent(Number(run.passed), Number(run.total));
      if (usual - rate <= rule.points) continue;
      await this.fire(
        'passRateDrop',
        `${attempt.clusterId}/${attempt.serviceId}/${suite}`,
        attempt,
        now,
        target => ({
          title: `${target.title}: ${suite} pass rate fell to ${rate} % on ${attempt.clusterId}`,
          description: `${suite} passed ${rate} % on build ${attempt.buildVersion}, against a median of ${usual} % over the ${history.length} runs before it on ${attempt.clusterId}.`,
          link: target.path('quality'),
        }),
      );
    }
  }

  /** Sends, or counts within the rule's window, a notice about the attempt's service. */
  private async fire(
    id: Exclude<RuleId, 'deadLetters' | 'consumerDown' | 'rollupsStuck'>,
    subject: string,
    attempt: Attempt,
    now: number,
    compose: (target: {
      title: string;
      path: (tab: 'deployments' | 'quality') => string;
    }) => Pick<Notice, 'title' | 'description' | 'link'>,
  ) {
    const { index, adminEntityRef, windows, send, rules, logger } =
      this.options;
    const rule = rules[id];
    const link = (await index.links([attempt.serviceId])).get(
      attempt.serviceId,
    );
    const entityRef = link?.entityRef ?? adminEntityRef;
    if (!entityRef) {
      logger.debug(
        `No one to tell about ${id} of ${attempt.serviceId}: it has no catalog Component and no adminEntityRef is set`,
      );
      return;
    }
    const notice: Notice = {
      entityRef,
      severity: rule.severity,
      topic: `deployment-quality:${id}`,
      ...compose({
        title: link?.title ?? attempt.serviceId,
        path: tab => {
          if (!link) {
            return `/deployment-quality/clusters/${encodeURIComponent(
              attempt.clusterId,
            )}`;
          }
          const ref = parseEntityRef(link.entityRef);
          return `/catalog/${ref.namespace}/${ref.kind}/${ref.name}/${tab}`;
        },
      }),
    };
    await windows.notify(
      { rule: id, subject, notice, dedupeMs: rule.dedupeMs },
      now,
      send,
    );
  }

  private async cluster(clusterId: string) {
    return (
      this.options.configuredClusters.find(c => c.id === clusterId) ??
      (await this.options.store.getRegisteredCluster(clusterId))
    );
  }
}
