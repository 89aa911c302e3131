import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { StatusResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { createTestStore } from '../__testUtils__/databases';
import { readNotificationConfig } from './config';
import { NotifyWindows, Outgoing } from './NotifyWindows';
import { OperationalAlerts } from './OperationalAlerts';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 4, 12);

function status(
  over: Partial<StatusResponse['ingestion']> = {},
  rollups: StatusResponse['rollups'] = { queuedKeys: 0, parkedKeys: 0 },
): StatusResponse {
  return {
    checkedAt: new Date(T0).toISOString(),
    ok: true,
    problems: [],
    database: { ok: true },
    ingestion: { mode: 'queue', ...over },
    retention: { days: 90 },
    rollups,
  };
}

describe('OperationalAlerts', () => {
  let current: StatusResponse;
  let sent: Outgoing[];
  let alerts: OperationalAlerts;

  beforeEach(async () => {
    const { knex } = await createTestStore(databases, 'SQLITE_3');
    sent = [];
    current = status();
    alerts = new OperationalAlerts({
      status: async () => current,
      windows: new NotifyWindows(knex),
      send: async o => {
        sent.push(o);
      },
      rules: readNotificationConfig(mockServices.rootConfig({ data: {} }))
        .rules,
      adminEntityRef: 'group:default/platform',
      logger: mockServices.logger.mock(),
    });
  });

  it('says nothing while all is well', async () => {
    await alerts.check(T0);
    expect(sent).toEqual([]);
  });

  it('tells the admins of dead letters once per window', async () => {
    current = status({ queue: { depth: 3, dlqDepth: 2 } });
    await alerts.check(T0);
    await alerts.check(T0 + MINUTE);
    expect(sent).toHaveLength(1);
    expect(sent[0].notice).toMatchObject({
      entityRef: 'group:default/platform',
      title: 'Deployment & Quality: 2 message(s) in the dead-letter queue',
      severity: 'critical',
      link: '/deployment-quality',
    });
  });

  it('waits afterMinutes before telling of a consumer that is down, and starts over when it recovers', async () => {
    const down = status({
      consumer: {
        state: 'backing-off',
        reason: 'AccessDenied',
        receiveErrors: 4,
        failedWrites: 0,
      },
    });
    current = down;
    await alerts.check(T0);
    await alerts.check(T0 + 4 * MINUTE);
    expect(sent).toEqual([]);
    current = status({
      consumer: { state: 'running', receiveErrors: 4, failedWrites: 0 },
    });
    await alerts.check(T0 + 5 * MINUTE);
    current = down;
    await alerts.check(T0 + 6 * MINUTE);
    await alerts.check(T0 + 10 * MINUTE);
    expect(sent).toEqual([]);
    await alerts.check(T0 + 11 * MINUTE);
    expect(sent.map(o => o.notice.title)).toEqual([
      'Deployment & Quality: the SQS consumer is backing-off',
    ]);
    expect(sent[0].notice.description).toContain('AccessDenied');
  });

  it('tells of parked rollup keys, and of a backlog older than afterMinutes', async () => {
    current = status(
      {},
      {
        queuedKeys: 5,
        oldestQueuedAt: new Date(T0 - 5 * MINUTE).toISOString(),
        parkedKeys: 0,
      },
    );
    await alerts.check(T0);
    expect(sent).toEqual([]);
    current = status(
      {},
      {
        queuedKeys: 5,
        oldestQueuedAt: new Date(T0 - 11 * MINUTE).toISOString(),
        parkedKeys: 2,
      },
    );
    await alerts.check(T0);
    expect(sent).toHaveLength(1);
    expect(sent[0].notice.description).toMatch(
      /^2 rollup key\(s\) failed to refresh and are parked; keys have waited since /,
    );
  });
});
