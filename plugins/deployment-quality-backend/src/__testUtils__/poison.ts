import { Knex } from 'knex';

/** The service whose attempts the database refuses once poisoned. */
export const POISON_SERVICE = 'poison';

/**
 * Makes the database itself refuse every attempt of POISON_SERVICE, by a
 * trigger (P0001 on PostgreSQL, SQLITE_CONSTRAINT_TRIGGER on SQLite): an
 * event that passes validation and the bounds, yet can't be stored.
 */
export async function poisonDatabase(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw(`
      CREATE FUNCTION dq_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.service_id = '${POISON_SERVICE}' THEN
          RAISE EXCEPTION 'poison';
        END IF;
        RETURN NEW;
      END $$`);
    await knex.raw(`
      CREATE TRIGGER dq_test_poison BEFORE INSERT ON dq_attempts
      FOR EACH ROW EXECUTE FUNCTION dq_test_poison()`);
  } else {
    await knex.raw(`
      CREATE TRIGGER dq_test_poison BEFORE INSERT ON dq_attempts
      WHEN NEW.service_id = '${POISON_SERVICE}'
      BEGIN SELECT RAISE(ABORT, 'poison'); END`);
  }
}
