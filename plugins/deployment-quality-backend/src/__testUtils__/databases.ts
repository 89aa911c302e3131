import { TestDatabaseId } from '@backstage/backend-test-utils';

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
