import { mockServices } from '@backstage/backend-test-utils';
import { readDeploymentQualityConfig } from './config';
import { JsonObject } from '@backstage/types';

const withAnalytics = (analytics?: JsonObject) =>
  mockServices.rootConfig({
    data: {
      deploymentQuality: {
        ingestion: {
          webhook: { keys: [{ name: 'ci', secret: 'a'.repeat(16) }] },
        },
        ...(analytics ? { analytics } : {}),
      },
    },
  });

describe('readDeploymentQualityConfig: analytics', () => {
  it('reads the 2024 DORA clusters and a one-day rework window by default', () => {
    expect(readDeploymentQualityConfig(withAnalytics()).analytics).toEqual({
      maxStaleSeconds: 60,
      doraBenchmark: '2024',
      reworkWindowMinutes: 1440,
    });
    expect(
      readDeploymentQualityConfig(
        withAnalytics({ doraBenchmark: '2023', reworkWindowMinutes: 120 }),
      ).analytics,
    ).toMatchObject({ doraBenchmark: '2023', reworkWindowMinutes: 120 });
  });

  it('stops the start on a benchmark or window it cannot use, naming the key', () => {
    expect(() =>
      readDeploymentQualityConfig(withAnalytics({ doraBenchmark: '2021' })),
    ).toThrow(
      'deploymentQuality.analytics.doraBenchmark must be one of 2023, 2024',
    );
    expect(() =>
      readDeploymentQualityConfig(withAnalytics({ reworkWindowMinutes: -5 })),
    ).toThrow(
      'deploymentQuality.analytics.reworkWindowMinutes must be an integer',
    );
    expect(() =>
      readDeploymentQualityConfig(withAnalytics({ maxStaleSeconds: 7200 })),
    ).toThrow(
      'deploymentQuality.analytics.maxStaleSeconds must be an integer from 0 to 3600',
    );
  });
});
