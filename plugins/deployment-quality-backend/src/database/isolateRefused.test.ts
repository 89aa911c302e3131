import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { isolateRefused, refusesValue } from './isolateRefused';

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ eventId: `e${i}` } as EventEnvelope));

const coded = (code: string) =>
  Object.assign(new Error(`failed with ${code}`), { code });

/** A write that fails whenever its events include one of `poison`. */
function writeFailingOn(poison: string[], error = coded('P0001')) {
  const calls: string[][] = [];
  const write = async (batch: EventEnvelope[]) => {
    const ids = batch.map(e => e.eventId);
    calls.push(ids);
    if (ids.some(id => poison.includes(id))) throw error;
    return ids.map(eventId => ({ eventId, duplicate: false }));
  };
  return { write, calls };
}

it('writes a batch the database takes in one transaction', async () => {
  const w = writeFailingOn([]);
  await expect(isolateRefused(w.write, events(500))).resolves.toHaveLength(500);
  expect(w.calls).toHaveLength(1);
});

it('fails only the refused event of 500, in about 2·log2(500) more transactions', async () => {
  const error = coded('22001');
  const w = writeFailingOn(['e321'], error);
  const outcomes = await isolateRefused(w.write, events(500));
  expect(outcomes.map(o => o.eventId)).toEqual(events(500).map(e => e.eventId));
  expect(outcomes.filter(o => o.failed)).toEqual([
    {
      eventId: 'e321',
      duplicate: false,
      failed: {
        reason: 'The database could not store this event (22001)',
        error,
      },
    },
  ]);
  expect(w.calls.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(500)));
  // Every other event was written exactly once, by a transaction that passed.
  const written = w.calls.filter(ids => !ids.includes('e321')).flat();
  expect(written.sort()).toEqual(
    events(500)
      .map(e => e.eventId)
      .filter(id => id !== 'e321')
      .sort(),
  );
});

it('fails several refused events alone, the rest in order', async () => {
  const w = writeFailingOn(['e0', 'e5', 'e6']);
  const outcomes = await isolateRefused(w.write, events(8));
  expect(outcomes.map(o => [o.eventId, Boolean(o.failed)])).toEqual([
    ['e0', true],
    ['e1', false],
    ['e2', false],
    ['e3', false],
    ['e4', false],
    ['e5', true],
    ['e6', true],
    ['e7', false],
  ]);
});

it('fails the whole write at once when the database itself fails', async () => {
  const down = coded('ECONNREFUSED');
  const w = writeFailingOn(['e3'], down);
  await expect(isolateRefused(w.write, events(500))).rejects.toBe(down);
  expect(w.calls).toHaveLength(1);
});

it('fails the whole write when the database fails while it is being split', async () => {
  const down = coded('57P01');
  let call = 0;
  const write = async (batch: EventEnvelope[]) => {
    call++;
    if (call === 1) throw coded('23514');
    if (call === 3) throw down;
    return batch.map(e => ({ eventId: e.eventId, duplicate: false }));
  };
  await expect(isolateRefused(write, events(10))).rejects.toBe(down);
});

it('tells a refused value from a failing database by the error code', () => {
  for (const code of [
    '22001', // value too long
    '22P05', // untranslatable character
    '23505', // unique violation
    '54000', // index row too long
    'P0001', // raised by a trigger
    'SQLITE_CONSTRAINT_TRIGGER',
    'SQLITE_CONSTRAINT_NOTNULL',
    'SQLITE_TOOBIG',
  ]) {
    expect([code, refusesValue(coded(code))]).toEqual([code, true]);
  }
  for (const code of [
    '08006', // connection failure
    '57P01', // admin shutdown
    '53100', // disk full
    '25006', // read-only transaction
    '42P01', // table missing
    '40P01', // deadlock
    'ECONNREFUSED',
    'ECONNRESET',
    'SQLITE_BUSY',
    'SQLITE_FULL',
    'SQLITE_IOERR_WRITE',
    'SQLITE_READONLY',
  ]) {
    expect([code, refusesValue(coded(code))]).toEqual([code, false]);
  }
  expect(refusesValue(new Error('Knex: Timeout acquiring a connection'))).toBe(
    false,
  );
  expect(refusesValue(undefined)).toBe(false);
});
