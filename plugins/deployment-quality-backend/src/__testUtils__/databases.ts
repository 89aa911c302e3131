import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { KnexDeploymentQualityStore } from '../database/KnexDeploymentQualityStore';

/**
 * SQLite always; PostgreSQL when a connection string for one is set (CI sets
 * it). With DQ_REQUIRE_POSTGRES set, a missing PostgreSQL fails the run
 * instead of being skipped silently.
 */
export function testDatabaseIds(): TestDatabaseId[] {
  const ids: TestDatabaseId[] = ['SQLITE_3'];
  const pg = Object.keys(process.env)
    .map(k =>
      k.match(/^BACKSTAGE_TEST_DATABASE_POSTGRES(\d+)_CONNECTION_STRING$/),
    )
    .find(Boolean);
  if (pg) {
    ids.push(`POSTGRES_${pg[1]}` as TestDatabaseId);
  } else if (process.env.DQ_REQUIRE_POSTGRES) {
    throw new Error(
      'DQ_REQUIRE_POSTGRES is set but no BACKSTAGE_TEST_DATABASE_POSTGRESnn_CONNECTION_STRING is',
    );
  }
  return ids;
}

/** A fresh database of the given kind with the store's migrations applied. */
export async function createTestStore(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  options: { retentionDays?: number; notify?: { settleMs: number } } = {},
): Promise<{ knex: Knex; store: KnexDeploymentQualityStore }> {
  const knex = await databases.init(databaseId);
  const store = await KnexDeploymentQualityStore.create({
    database: mockServices.database({ knex }),
    ...options,
  });
  return { knex, store };
}
