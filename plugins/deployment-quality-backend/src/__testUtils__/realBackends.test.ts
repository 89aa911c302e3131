import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { groupEntity, serviceEntity, userEntity } from './entities';
import { webhookDeployment } from './events';
import { ADMIN_USER, WEBHOOK_SECRET, startRealBackends } from './realBackends';

jest.setTimeout(60_000);

const ALICE = 'user:default/alice';

const entities: Entity[] = [
  serviceEntity('billing', { owner: 'team-b' }),
  serviceEntity('vault', { owner: 'security' }),
  groupEntity('team-b'),
  groupEntity('security'),
  userEntity('alice', ['team-b']),
];

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('startRealBackends', () => {
  it('lets a user read only the entities their groups own, in the catalog and in our plugin', async () => {
    const backends = await startRealBackends({
      knex: await databases.init('SQLITE_3'),
      entities,
    });
    await backends.waitForCatalog();
    const { server, userHeader } = backends;
    const alice = userHeader(ALICE);
    const admin = userHeader(ADMIN_USER);

    const billing = await request(server)
      .get('/api/catalog/entities/by-name/component/default/billing')
      .set(alice)
      .expect(200);
    expect(billing.body.relations).toContainEqual({
      type: 'ownedBy',
      targetRef: 'group:default/team-b',
    });
    await request(server)
      .get('/api/catalog/entities/by-name/component/default/vault')
      .set(alice)
      .expect(404);
    for (const name of ['billing', 'vault']) {
      await request(server)
        .get(`/api/catalog/entities/by-name/component/default/${name}`)
        .set(admin)
        .expect(200);
    }
    // Service principals never reach the policy: it would deny a caller
    // without a user.
    await request(server)
      .get('/api/catalog/entities/by-name/component/default/vault')
      .set('Authorization', mockCredentials.service.header())
      .expect(200);

    for (const serviceId of ['billing', 'vault']) {
      await request(server)
        .post('/api/deployment-quality/ingest/webhook')
        .set('X-Webhook-Secret', WEBHOOK_SECRET)
        .send(webhookDeployment({ serviceId }))
        .expect(202);
    }
    const summary = (name: string) =>
      request(server).get(
        `/api/deployment-quality/entities/default/component/${name}/summary`,
      );
    await summary('vault').set(alice).expect(404);
    const visible = await summary('billing').set(alice).expect(200);
    expect(visible.body).toMatchObject({
      entityRef: 'component:default/billing',
      clusters: [{ latestAttempt: { id: 'mira-us-west-2:billing:3.4.3:7' } }],
    });
    const vault = await summary('vault').set(admin).expect(200);
    expect(vault.body).toMatchObject({
      entityRef: 'component:default/vault',
      clusters: [{ latestAttempt: { id: 'mira-us-west-2:vault:3.4.3:7' } }],
    });
    // Anonymous callers are anonymous, not the mock default user.
    await summary('billing').expect(401);

    await backends.stop();
  });
});
