import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { IngestOutcome } from '../database/DeploymentQualityStore';
import { GroupCommit } from './GroupCommit';

const event = (id: string) => ({ eventId: id } as EventEnvelope);

/** A write whose transactions finish when the test says so. */
function controlledWrite(fails: (ids: string[]) => boolean = () => false) {
  const calls: string[][] = [];
  const finish: Array<() => void> = [];
  const write = (events: EventEnvelope[]) => {
    const ids = events.map(e => e.eventId);
    calls.push(ids);
    return new Promise<IngestOutcome[]>((resolve, reject) => {
      finish.push(() =>
        fails(ids)
          ? reject(new Error(`write of ${ids} failed`))
          : resolve(
              ids.map(eventId => ({
                eventId,
                duplicate: eventId.startsWith('dup'),
              })),
            ),
      );
    });
  };
  const finishNext = async () => {
    // Let queued submissions and continuations run first.
    await new Promise(r => setImmediate(r));
    finish.shift()!();
    await new Promise(r => setImmediate(r));
  };
  return { write, calls, finishNext };
}

it('writes a lone request at once', async () => {
  const w = controlledWrite();
  const commit = new GroupCommit(w.write, { maxInFlight: 1 });
  const answer = commit.submit([event('a')]);
  expect(w.calls).toEqual([['a']]);
  await w.finishNext();
  await expect(answer).resolves.toEqual([{ eventId: 'a', duplicate: false }]);
});

it('writes requests that arrive during a write together, each answered with its own outcomes', async () => {
  const w = controlledWrite();
  const commit = new GroupCommit(w.write, { maxInFlight: 1 });
  const first = commit.submit([event('a')]);
  const second = commit.submit([event('b'), event('dup-c')]);
  const third = commit.submit([event('d')]);
  expect(w.calls).toEqual([['a']]);
  await w.finishNext();
  expect(w.calls).toEqual([['a'], ['b', 'dup-c', 'd']]);
  await w.finishNext();
  await expect(first).resolves.toEqual([{ eventId: 'a', duplicate: false }]);
  await expect(second).resolves.toEqual([
    { eventId: 'b', duplicate: false },
    { eventId: 'dup-c', duplicate: true },
  ]);
  await expect(third).resolves.toEqual([{ eventId: 'd', duplicate: false }]);
});

it('caps a shared transaction at maxEvents, never splitting a request', async () => {
  const w = controlledWrite();
  const commit = new GroupCommit(w.write, { maxEvents: 3, maxInFlight: 1 });
  const answers = [
    commit.submit([event('a')]),
    commit.submit([event('b'), event('c')]),
    commit.submit([event('d')]),
    commit.submit([event('e'), event('f'), event('g'), event('h')]),
  ];
  await w.finishNext();
  await w.finishNext();
  await w.finishNext();
  await Promise.all(answers);
  expect(w.calls).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f', 'g', 'h']]);
});

it("retries a failed shared transaction per request, so one request's failure fails only it", async () => {
  const w = controlledWrite(ids => ids.includes('bad'));
  const commit = new GroupCommit(w.write, { maxInFlight: 1 });
  const first = commit.submit([event('a')]);
  const good = commit.submit([event('b')]);
  const bad = commit.submit([event('bad')]);
  const badOutcome = bad.then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  await w.finishNext(); // a
  await w.finishNext(); // b + bad together: fails
  await w.finishNext(); // b alone
  await w.finishNext(); // bad alone: fails
  expect(w.calls).toEqual([['a'], ['b', 'bad'], ['b'], ['bad']]);
  await expect(first).resolves.toHaveLength(1);
  await expect(good).resolves.toEqual([{ eventId: 'b', duplicate: false }]);
  await expect(badOutcome).resolves.toBe('write of bad failed');
});

it('writes up to maxInFlight transactions at once, grouping what waits', async () => {
  const w = controlledWrite();
  const commit = new GroupCommit(w.write, { maxInFlight: 2 });
  const answers = ['a', 'b', 'c', 'd', 'e'].map(id =>
    commit.submit([event(id)]),
  );
  await new Promise(r => setImmediate(r));
  expect(w.calls).toEqual([['a'], ['b']]);
  await w.finishNext(); // a: its slot takes everything waiting
  expect(w.calls).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
  await w.finishNext();
  await w.finishNext();
  expect((await Promise.all(answers)).flat().map(o => o.eventId)).toEqual([
    'a',
    'b',
    'c',
    'd',
    'e',
  ]);
});
