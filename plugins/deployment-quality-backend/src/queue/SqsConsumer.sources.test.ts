import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { githubSourceAdapter } from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EventIngestor, storeSink } from '../ingestion/EventIngestor';
import { SourceIngestor } from '../ingestion/SourceIngestor';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import { LocalSqs, eventually, startLocalSqs } from '../__testUtils__/localSqs';
import { SqsConsumer } from './SqsConsumer';
import { SEES_ALL } from '../visibility/Visibility';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const fixture = (path: string) =>
  JSON.parse(
    readFileSync(
      resolve(
        dirname(
          require.resolve(
            '@deployment-quality/plugin-deployment-quality-backend-module-sources/package.json',
          ),
        ),
        'src/__fixtures__',
        path,
      ),
      'utf8',
    ),
  );

describe.each(databases.eachSupportedId())(
  'SqsConsumer with source adapters on %p',
  (databaseId: TestDatabaseId) => {
    let sqs: LocalSqs | undefined;
    let consumer: SqsConsumer | undefined;
    afterEach(async () => {
      await consumer?.stop();
      await sqs?.stop();
    });

    it('maps native messages through their adapter, once, next to our own format', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      const logger = mockServices.logger.mock();
      const sink = storeSink(store, logger);
      const sources = new SourceIngestor({
        adapters: [githubSourceAdapter],
        config: mockServices.rootConfig({ data: {} }),
        catalog: catalogServiceMock(),
        auth: mockServices.auth(),
        ingestor: new EventIngestor(sink, store, logger),
        sink,
        logger,
      });
      sqs = await startLocalSqs({ visibility: 30 });
      consumer = new SqsConsumer({
        client: sqs.client,
        queueUrl: sqs.queueUrl,
        store,
        logger,
        waitTimeSeconds: 1,
        maxMessages: 10,
        visibilityTimeoutSeconds: 30,
        pollers: 1,
        sources,
      });
      const native = JSON.stringify({
        source: 'github',
        payload: fixture('github/deployment_status.created.success.json'),
      });
      const broken = fixture('github/deployment_status.created.success.json');
      delete broken.deployment.sha;
      await sqs.send([
        native,
        native,
        JSON.stringify({
          source: 'github',
          payload: fixture('github/workflow_run.requested.json'),
        }),
        JSON.stringify({ source: 'github', payload: broken }),
        // Our own format may name the same source: it is not native.
        JSON.stringify(webhookDeployment({}, { source: 'github' })),
      ]);
      consumer.start();
      const q = sqs;
      await eventually(async () => (await q.depth(q.queueUrl)) === 0);

      const rows = await knex('dq_attempts')
        .select('id', 'status')
        .orderBy('id');
      expect(rows).toEqual([
        // No environment mapping: the environment is the cluster.
        { id: 'mira-us-west-2:authn:3.4.3:7', status: 'SUCCESS' },
        { id: 'production:Hello-World:f95f852:145988746', status: 'SUCCESS' },
      ]);
      const rejected = await store.listRejected({
        limit: 10,
        visibility: SEES_ALL,
      });
      expect(rejected.map(r => [r.source, r.transport, r.problems])).toEqual([
        ['github', 'sqs', [{ path: 'deployment.sha', message: 'is required' }]],
      ]);
    });
  },
);
