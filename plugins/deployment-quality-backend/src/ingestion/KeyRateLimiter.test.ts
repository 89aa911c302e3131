import { mockServices } from '@backstage/backend-test-utils';
import { readDeploymentQualityConfig, readSourceConfig } from '../config';
import { KeyRateLimiter } from './KeyRateLimiter';

describe('KeyRateLimiter', () => {
  let now = 1_000_000;
  const limiter = () => new KeyRateLimiter(() => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it("allows a minute's worth at once, then one per interval, telling when", () => {
    const l = limiter();
    const take = () => l.take('ci', 3);
    expect([take(), take(), take()]).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: true },
    ]);
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 20 });
    now += 19_000;
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(take()).toEqual({ allowed: true });
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 20 });
    // A refused request costs nothing: the next token still comes on time.
    now += 20_000;
    expect(take()).toEqual({ allowed: true });
  });

  it('refills to the full burst after a quiet minute, never beyond', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.take('ci', 3);
    now += 10 * 60_000;
    const answers = Array.from({ length: 4 }, () => l.take('ci', 3).allowed);
    expect(answers).toEqual([true, true, true, false]);
  });

  it('keeps buckets apart, and has none without a rate', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.take('runaway', 3);
    expect(l.take('runaway', 3).allowed).toBe(false);
    expect(l.take('steady', 3).allowed).toBe(true);
    for (let i = 0; i < 1000; i++) {
      expect(l.take('unlimited', undefined).allowed).toBe(true);
      expect(l.take('zero', 0).allowed).toBe(true);
    }
  });

  it('grants exactly the burst when the interval is not a whole millisecond', () => {
    const l = limiter();
    const granted = Array.from({ length: 8 }, () => l.take('ci', 7).allowed);
    expect(granted).toEqual([true, true, true, true, true, true, true, false]);
    expect(l.take('ci', 7)).toEqual({ allowed: false, retryAfterSeconds: 9 });
  });
});

describe('rate limit configuration', () => {
  const config = (rateLimit: object | undefined, extra: object = {}) =>
    mockServices.rootConfig({
      data: {
        deploymentQuality: {
          ingestion: {
            webhook: {
              ...(rateLimit ? { rateLimit } : {}),
              keys: [
                { name: 'default', secret: 'a'.repeat(16) },
                { name: 'own', secret: 'b'.repeat(16), perMinute: 3 },
                { name: 'unlimited', secret: 'c'.repeat(16), perMinute: 0 },
              ],
            },
          },
          sources: {
            github: {
              secrets: [
                { name: 'gh', secret: 'd'.repeat(16) },
                { name: 'gh-own', secret: 'e'.repeat(16), perMinute: 2 },
              ],
            },
          },
          ...extra,
        },
      },
    });
  const rates = (keys: Array<{ name: string; perMinute?: number }>) =>
    Object.fromEntries(keys.map(k => [k.name, k.perMinute]));

  it('gives every key and source secret the default unless it has its own rate (0: none)', () => {
    const c = config({ perMinute: 600 });
    expect(rates(readDeploymentQualityConfig(c).webhook.keys)).toEqual({
      default: 600,
      own: 3,
      unlimited: undefined,
    });
    expect(rates(readSourceConfig(c, 'github').secrets)).toEqual({
      gh: 600,
      'gh-own': 2,
    });
  });

  it('has no limit by default', () => {
    const c = config(undefined);
    expect(rates(readDeploymentQualityConfig(c).webhook.keys)).toEqual({
      default: undefined,
      own: 3,
      unlimited: undefined,
    });
  });

  it('refuses a rate that is not a whole number of requests', () => {
    expect(() =>
      readDeploymentQualityConfig(config({ perMinute: 1.5 })),
    ).toThrow(/rateLimit.perMinute must be an integer/);
    expect(() =>
      readDeploymentQualityConfig(config({ perMinute: -1 })),
    ).toThrow(/must be an integer from 0/);
  });

  it('reads the cap on rejected events, 10,000 by default', () => {
    expect(readDeploymentQualityConfig(config(undefined)).diagnostics).toEqual({
      maxRejectedEvents: 10_000,
    });
    expect(
      readDeploymentQualityConfig(
        config(undefined, { diagnostics: { maxRejectedEvents: 50 } }),
      ).diagnostics,
    ).toEqual({ maxRejectedEvents: 50 });
    expect(() =>
      readDeploymentQualityConfig(
        config(undefined, { diagnostics: { maxRejectedEvents: 0 } }),
      ),
    ).toThrow(/maxRejectedEvents must be a positive integer/);
  });
});
