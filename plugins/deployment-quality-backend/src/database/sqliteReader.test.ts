import knexFactory, { Knex } from 'knex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readerFor } from './sqliteReader';

/** A query that keeps SQLite busy for a while, whichever thread runs it. */
const BUSY_SQL = `with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000)
  select count(*) as n from c`;

/**
 * The longest gap between ticks of a 5 ms timer while `work` runs: how
 * long the event loop was held.
 */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
    await new Promise(resolve => setTimeout(resolve, 20));
  } finally {
    clearInterval(timer);
  }
  return longest;
}

describe('readerFor', () => {
  let dir: string;
  let db: Knex;
  let reader: Knex;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dq-reader-'));
    db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'dq.sqlite') },
      useNullAsDefault: true,
    });
    await db.raw('PRAGMA journal_mode = WAL');
    await db.schema.createTable('t', table => {
      table.integer('id').primary();
      table.string('name');
    });
    reader = readerFor(db);
  });

  afterEach(async () => {
    await reader.destroy();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads what the writer committed, on another connection', async () => {
    expect(reader).not.toBe(db);
    await db('t').insert([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    expect(await reader('t').orderBy('id').select('name')).toEqual([
      { name: 'a' },
      { name: 'b' },
    ]);
    expect(await reader('t').where('id', 2).first()).toEqual({
      id: 2,
      name: 'b',
    });
  });

  it('sees no uncommitted write', async () => {
    await db.transaction(async tx => {
      await tx('t').insert({ id: 3, name: 'c' });
      expect(await reader('t').count({ n: '*' })).toEqual([{ n: 0 }]);
    });
    expect(await reader('t').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('refuses writes', async () => {
    await expect(reader('t').insert({ id: 4, name: 'd' })).rejects.toThrow(
      /only read/,
    );
    expect(await db('t').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('answers a failing query with its error, and keeps working', async () => {
    await expect(reader('missing').select('*')).rejects.toThrow(
      /no such table: missing/,
    );
    expect(await reader('t').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('leaves the event loop free while a long query runs', async () => {
    let ms = 0;
    const offLoop = await longestStall(async () => {
      const t0 = performance.now();
      expect(await reader.raw(BUSY_SQL)).toEqual([{ n: 3000000 }]);
      ms = performance.now() - t0;
    });
    // The same query on the writer's connection holds the loop throughout:
    // what the reader is for.
    const onLoop = await longestStall(() => db.raw(BUSY_SQL));
    expect(onLoop).toBeGreaterThan(150);
    expect(ms).toBeGreaterThan(150);
    expect(offLoop).toBeLessThan(100);
  });

  it('is the database itself where no other connection can read', async () => {
    const memory = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    expect(readerFor(memory)).toBe(memory);
    await memory.destroy();
    const pg = knexFactory({ client: 'pg', connection: {} });
    expect(readerFor(pg)).toBe(pg);
    await pg.destroy();
  });
});
