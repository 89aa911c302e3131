import { Quarantine } from '../database/Quarantine';
import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Cluster } from '@deployment-quality/plugin-deployment-quality-common';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { GatePolicy } from '../config';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { StatusReporter } from '../status/StatusReporter';
import { CatalogIndex } from '../visibility/CatalogIndex';
import { NotificationConfig } from './config';
import { NotifyQueue } from './NotifyQueue';
import { NotifyWindows, Outgoing } from './NotifyWindows';
import { OperationalAlerts } from './OperationalAlerts';
import { OwnerNotifier } from './OwnerNotifier';

/** The notice as the notifications backend takes it, with the window's count. */
export function notificationSender(notifications: NotificationService) {
  return async ({ notice, count, since, scope }: Outgoing) => {
    const repeated = count > 1;
    await notifications.send({
      recipients: { type: 'entity', entityRef: notice.entityRef },
      payload: {
        title: repeated ? `${notice.title} (${count} times)` : notice.title,
        description: repeated
          ? `${
              notice.description
            } This happened ${count} times since ${new Date(
              since,
            ).toISOString()}; the latest is described.`
          : notice.description,
        link: notice.link,
        severity: notice.severity,
        topic: notice.topic,
        scope,
      },
    });
  };
}

/**
 * Starts telling the owners, when `deploymentQuality.notifications.enabled`:
 * the outbox is drained on one replica at a time every `pollSeconds`; the
 * operational checks run on each replica every minute when there is an
 * admins' group to tell.
 */
export async function scheduleNotifications(options: {
  config: NotificationConfig;
  db: Knex;
  store: DeploymentQualityStore;
  index: CatalogIndex;
  status: StatusReporter;
  notifications: NotificationService;
  scheduler: SchedulerService;
  gatePolicy: GatePolicy;
  quarantine?: Pick<Quarantine, 'failuresOf'>;
  configuredClusters: Cluster[];
  logger: LoggerService;
}): Promise<void> {
  const { config, db, scheduler, logger } = options;
  if (!config.enabled) return;
  const windows = new NotifyWindows(db);
  const send = notificationSender(options.notifications);
  const owners = new OwnerNotifier({
    db,
    store: options.store,
    index: options.index,
    queue: new NotifyQueue(db),
    windows,
    send,
    rules: config.rules,
    gatePolicy: options.gatePolicy,
    quarantine: options.quarantine,
    configuredClusters: options.configuredClusters,
    adminEntityRef: config.adminEntityRef,
    logger,
  });
  await scheduler.scheduleTask({
    id: 'deployment-quality-notify-owners',
    frequency: { seconds: config.pollSeconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds: config.pollSeconds },
    scope: 'global',
    fn: () => owners.run(),
  });
  if (!config.adminEntityRef) {
    logger.info(
      'No deploymentQuality.notifications.adminEntityRef: operational problems are not notified',
    );
    return;
  }
  const operations = new OperationalAlerts({
    status: () => options.status.status({ details: true }),
    windows,
    send,
    rules: config.rules,
    adminEntityRef: config.adminEntityRef,
    logger,
  });
  await scheduler.scheduleTask({
    id: 'deployment-quality-operational-alerts',
    frequency: { minutes: 1 },
    timeout: { minutes: 1 },
    initialDelay: { minutes: 1 },
    scope: 'local',
    fn: () => operations.check(),
  });
}
