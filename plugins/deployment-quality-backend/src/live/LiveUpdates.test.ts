import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { LIVE_CHANNEL } from '@deployment-quality/plugin-deployment-quality-common';
import { createTestStore } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { LiveUpdates } from './LiveUpdates';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('LiveUpdates', () => {
  it('signals once per burst of writes, naming the clusters written and no service', async () => {
    const { store } = await createTestStore(databases, 'SQLITE_3');
    const published: unknown[] = [];
    const live = new LiveUpdates(
      { publish: async signal => void published.push(signal) },
      mockServices.logger.mock(),
      60_000,
    );
    store.onClustersChanged(ids => live.changed(ids));

    const deployment = deploymentEvent({ clusterId: 'prod-eu' });
    await store.ingest(deployment);
    await store.ingest(
      testResultEvent({ attemptId: 'pavo-us-east-1:billing:1.0.0:1' }),
    );
    await store.ingest(
      deploymentEvent({
        clusterId: 'pavo-us-east-1',
        serviceId: 'billing',
        buildVersion: '1.0.0',
      }),
    );
    // A duplicate writes nothing, so it changes nothing.
    await store.ingest(deployment);
    expect(published).toEqual([]);
    await live.flush();
    expect(published).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: LIVE_CHANNEL,
        message: { clusters: ['pavo-us-east-1', 'prod-eu'] },
      },
    ]);

    await store.ingest(deployment);
    await live.flush();
    expect(published).toHaveLength(1);
  });
});
