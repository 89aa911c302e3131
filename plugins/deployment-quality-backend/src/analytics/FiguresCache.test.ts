import { FiguresCache } from './FiguresCache';

/** A computation that settles when told to, counting its calls. */
function controlled() {
  const calls: Array<{ resolve(): void; reject(e: Error): void }> = [];
  const compute = (value: string) => () =>
    new Promise<string>((resolve, reject) => {
      calls.push({ resolve: () => resolve(value), reject });
    });
  return { calls, compute };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise(r => setImmediate(r));
};

describe('FiguresCache', () => {
  let now = 0;
  let generation = 1;
  let checks = 0;
  const data = async () => {
    checks++;
    return generation;
  };
  const cache = () =>
    new FiguresCache<string>({
      maxEntries: 2,
      maxStaleMs: 60_000,
      now: () => now,
    });

  beforeEach(() => {
    now = 1_000_000;
    generation = 1;
    checks = 0;
  });

  /** A cache holding 'old' for key 'k', computed at generation 1. */
  const computedOnce = async (allowStale: boolean) => {
    const c = cache();
    const { calls, compute } = controlled();
    const first = c.get('k', data, compute('old'), allowStale);
    await flush();
    calls[0].resolve();
    await first;
    return { c, calls, compute };
  };

  it('shares one computation per key and generation, and keeps it', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const a = c.get('k', data, compute('one'), false);
    const b = c.get('k', data, compute('other'), false);
    await flush();
    expect(calls).toHaveLength(1);
    calls[0].resolve();
    expect(await a).toBe('one');
    expect(await b).toBe('one');
    expect(await c.get('k', data, compute('again'), false)).toBe('one');
    expect(calls).toHaveLength(1);
  });

  it('shares a fleet computation in flight even after writes moved the generation', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const first = c.get('k', data, compute('first'), true);
    await flush();
    generation = 2;
    const second = c.get('k', data, compute('second'), true);
    generation = 3;
    const third = c.get('k', data, compute('third'), true);
    await flush();
    expect(calls).toHaveLength(1);
    calls[0].resolve();
    expect(await Promise.all([first, second, third])).toEqual([
      'first',
      'first',
      'first',
    ]);
  });

  it('recomputes exact figures once a write moved the generation', async () => {
    const { c, calls, compute } = await computedOnce(false);
    generation = 2;
    const next = c.get('k', data, compute('new'), false);
    await flush();
    expect(calls).toHaveLength(2);
    calls[1].resolve();
    expect(await next).toBe('new');
  });

  it('answers fleet figures at once while at most maxStaleMs old, checks the data at most once a second, and recomputes once', async () => {
    const { c, calls, compute } = await computedOnce(true);
    const checksBefore = checks;

    generation = 2;
    now += 30_000;
    expect(await c.get('k', data, compute('new'), true)).toBe('old');
    expect(await c.get('k', data, compute('newer'), true)).toBe('old');
    await flush();
    // One check, one recomputation in the background.
    expect(checks - checksBefore).toBe(1);
    expect(calls).toHaveLength(2);
    calls[1].resolve();
    await flush();
    expect(await c.get('k', data, compute('unused'), true)).toBe('new');
    expect(calls).toHaveLength(2);
  });

  it('waits for fresh figures once the kept ones are too old', async () => {
    const { c, calls, compute } = await computedOnce(true);

    generation = 2;
    now += 60_001;
    const fresh = c.get('k', data, compute('new'), true);
    await flush();
    calls[1].resolve();
    expect(await fresh).toBe('new');
  });

  it('renews unchanged fleet figures when a check finds no write, so they never go stale for want of one', async () => {
    const { c, calls, compute } = await computedOnce(true);

    // 50 s on: answered at once; the check behind it finds no write.
    now += 50_000;
    expect(await c.get('k', data, compute('unused'), true)).toBe('old');
    await flush();
    // 100 s after the computation, 50 s after that check: still answered
    // at once, even with the data unable to answer now.
    now += 50_000;
    const stuck = c.get(
      'k',
      () => new Promise<number>(() => {}),
      compute('unused'),
      true,
    );
    expect(await Promise.race([stuck, flush().then(() => 'waited')])).toBe(
      'old',
    );
    expect(calls).toHaveLength(1);
  });

  it('keeps no failure, and a failed refresh leaves the kept figures', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const failed = c.get('k', data, compute('x'), true);
    await flush();
    calls[0].reject(new Error('db down'));
    await expect(failed).rejects.toThrow('db down');
    const ok = c.get('k', data, compute('ok'), true);
    await flush();
    expect(calls).toHaveLength(2);
    calls[1].resolve();
    expect(await ok).toBe('ok');

    generation = 2;
    now += 2000;
    expect(await c.get('k', data, compute('refresh'), true)).toBe('ok');
    await flush();
    calls[2].reject(new Error('db down'));
    await flush();
    // Still the kept ones; a request a second later checks again.
    now += 1000;
    expect(await c.get('k', data, compute('retry'), true)).toBe('ok');
    await flush();
    expect(calls).toHaveLength(4);
  });

  it('holds at most maxEntries keys, dropping the least recently used', async () => {
    const c = cache();
    const { calls, compute } = controlled();
    const fill = async (key: string) => {
      const p = c.get(key, data, compute(key), false);
      await flush();
      calls.at(-1)!.resolve();
      await p;
    };
    await fill('a');
    await fill('b');
    await c.get('a', data, compute('unused'), false);
    await fill('c');
    expect(calls).toHaveLength(3);
    // b went (least recently used); a stayed.
    await c.get('a', data, compute('unused'), false);
    expect(calls).toHaveLength(3);
    void c.get('b', data, compute('b'), false);
    await flush();
    expect(calls).toHaveLength(4);
  });
});
