import { FiguresCache } from './FiguresCache';

/** A computation that settles when told to, counting its calls. */
function controlled() {
  const calls: Array<{ resolve(v: string): void; reject(e: Error): void }> = [];
  const compute = (value: string) => () =>
    new Promise<string>((resolve, reject) => {
      calls.push({ resolve: () => resolve(value), reject });
    });
  return { calls, compute };
}

const flush = () => new Promise(resolve => setImmediate(resolve));

describe('FiguresCache', () => {
  let now = 0;
  const cache = () =>
    new FiguresCache<string>({
      maxEntries: 2,
      maxStaleMs: 60_000,
      now: () => now,
    });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('shares one computation per key and generation, and keeps it', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const a = c.get('k', 1, compute('one'), false);
    const b = c.get('k', 1, compute('other'), false);
    expect(calls).toHaveLength(1);
    calls[0].resolve('');
    expect(await a).toBe('one');
    expect(await b).toBe('one');
    expect(await c.get('k', 1, compute('again'), false)).toBe('one');
    expect(calls).toHaveLength(1);
  });

  it('recomputes exact figures once a write moved the generation', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const first = c.get('k', 1, compute('old'), false);
    calls[0].resolve('');
    await first;
    const next = c.get('k', 2, compute('new'), false);
    expect(calls).toHaveLength(2);
    calls[1].resolve('');
    expect(await next).toBe('new');
  });

  it('serves fleet figures up to maxStaleMs old while one refresh runs, then the fresh ones', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const first = c.get('k', 1, compute('old'), true);
    calls[0].resolve('');
    await first;

    now += 30_000;
    expect(await c.get('k', 2, compute('new'), true)).toBe('old');
    expect(await c.get('k', 3, compute('newer'), true)).toBe('old');
    // One refresh in the background, not one per request.
    expect(calls).toHaveLength(2);
    calls[1].resolve('');
    await flush();
    expect(await c.get('k', 2, compute('unused'), true)).toBe('new');
    expect(calls).toHaveLength(2);
  });

  it('waits for fresh figures once the kept ones are too old', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const first = c.get('k', 1, compute('old'), true);
    calls[0].resolve('');
    await first;

    now += 60_001;
    const fresh = c.get('k', 2, compute('new'), true);
    calls[1].resolve('');
    expect(await fresh).toBe('new');
  });

  it('keeps no failure, and a failed refresh leaves the kept figures', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const failed = c.get('k', 1, compute('x'), true);
    calls[0].reject(new Error('db down'));
    await expect(failed).rejects.toThrow('db down');
    const ok = c.get('k', 1, compute('ok'), true);
    expect(calls).toHaveLength(2);
    calls[1].resolve('');
    expect(await ok).toBe('ok');

    now += 1000;
    expect(await c.get('k', 2, compute('refresh'), true)).toBe('ok');
    calls[2].reject(new Error('db down'));
    await flush();
    // Still the kept ones, and a later request tries the refresh again.
    expect(await c.get('k', 2, compute('retry'), true)).toBe('ok');
    expect(calls).toHaveLength(4);
  });

  it('holds at most maxEntries keys, dropping the least recently used', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    for (const key of ['a', 'b']) {
      const p = c.get(key, 1, compute(key), false);
      calls.at(-1)!.resolve('');
      await p;
    }
    await c.get('a', 1, compute('unused'), false);
    const p = c.get('c', 1, compute('c'), false);
    calls.at(-1)!.resolve('');
    await p;
    expect(calls).toHaveLength(3);
    // b went (least recently used); a stayed.
    await c.get('a', 1, compute('unused'), false);
    expect(calls).toHaveLength(3);
    c.get('b', 1, compute('b'), false);
    expect(calls).toHaveLength(4);
  });
});
