import { LoggerService } from '@backstage/backend-plugin-api';
import { StatusResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { NotificationRules, RuleId } from './config';
import { NotifyWindows } from './NotifyWindows';
import { SendNotification } from './OwnerNotifier';

type OperationalRule = Extract<
  RuleId,
  'deadLetters' | 'consumerDown' | 'rollupsStuck'
>;

export interface OperationalAlertsOptions {
  /** The same checks as `GET /status`, with error details. */
  status: () => Promise<StatusResponse>;
  windows: NotifyWindows;
  send: SendNotification;
  rules: NotificationRules;
  adminEntityRef: string;
  logger: LoggerService;
}

/**
 * Tells the admins' group what `GET /status` would show them: messages in
 * the dead-letter queue, this replica's consumer stopped or backing off for
 * too long, rollups parked or behind. Runs on every replica (a consumer's
 * state is its own); the shared windows keep it to one notification.
 */
export class OperationalAlerts {
  /** Since when this replica's consumer has been down, as last checked. */
  private consumerDownSince?: number;

  constructor(private readonly options: OperationalAlertsOptions) {}

  async check(now = Date.now()): Promise<void> {
    const { rules } = this.options;
    const status = await this.options.status();
    const dlq = status.ingestion.queue?.dlqDepth ?? 0;
    if (dlq > 0) {
      await this.fire('deadLetters', now, {
        title: `Deployment & Quality: ${dlq} message(s) in the dead-letter queue`,
        description:
          'Events the consumer could not store were moved to the dead-letter queue after their retries; they are not counted until redriven (see the README runbook).',
      });
    }

    const consumer = status.ingestion.consumer;
    if (consumer && consumer.state !== 'running') {
      this.consumerDownSince ??= now;
      if (now - this.consumerDownSince >= rules.consumerDown.afterMs) {
        await this.fire('consumerDown', now, {
          title: `Deployment & Quality: the SQS consumer is ${consumer.state}`,
          description: `The consumer has been ${
            consumer.state
          } since ${new Date(this.consumerDownSince).toISOString()}${
            consumer.reason ? `: ${consumer.reason}` : ''
          }. Events wait in the queue meanwhile.`,
        });
      }
    } else {
      this.consumerDownSince = undefined;
    }

    const rollups = status.rollups;
    const oldest = rollups?.oldestQueuedAt
      ? Date.parse(rollups.oldestQueuedAt)
      : undefined;
    const parked = rollups?.parkedKeys ?? 0;
    const behind =
      oldest !== undefined && now - oldest >= rules.rollupsStuck.afterMs;
    if (parked || behind) {
      await this.fire('rollupsStuck', now, {
        title: 'Deployment & Quality: the daily rollups are stuck',
        description: [
          parked
            ? `${parked} rollup key(s) failed to refresh and are parked`
            : '',
          behind
            ? `keys have waited since ${new Date(oldest!).toISOString()}`
            : '',
        ]
          .filter(Boolean)
          .join('; ')
          .concat(
            ': cluster totals and analytics of their days may be stale (see the backend log).',
          ),
      });
    }
  }

  private async fire(
    id: OperationalRule,
    now: number,
    text: { title: string; description: string },
  ) {
    const { rules, windows, send, adminEntityRef } = this.options;
    const rule = rules[id];
    if (!rule.enabled) return;
    const notice = {
      ...text,
      entityRef: adminEntityRef,
      link: '/deployment-quality',
      severity: rule.severity,
      topic: `deployment-quality:${id}`,
    };
    try {
      await windows.notify(
        { rule: id, subject: 'operations', notice, dedupeMs: rule.dedupeMs },
        now,
        send,
      );
    } catch (error) {
      this.options.logger.warn(
        `Could not send the ${id} notification: ${error}`,
      );
    }
  }
}
