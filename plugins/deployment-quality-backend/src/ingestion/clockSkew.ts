import { RootConfigService } from '@backstage/backend-plugin-api';
import { BOUNDS } from '@deployment-quality/plugin-deployment-quality-common';

const KEY = 'deploymentQuality.ingestion.maxFutureSkewSeconds';

/**
 * How far past the time of receipt an event's times may be, in ms
 * (`deploymentQuality.ingestion.maxFutureSkewSeconds`, default
 * `BOUNDS.defaultFutureSkewSeconds`). At most a day: the bound is there so
 * that a date in the future can't stay the "latest" of anything for long.
 */
export function readMaxFutureSkewMs(config: RootConfigService): number {
  const seconds =
    config.getOptionalNumber(KEY) ?? BOUNDS.defaultFutureSkewSeconds;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
    throw new Error(`${KEY} must be an integer from 0 to 86400`);
  }
  return seconds * 1000;
}

/** The latest instant an event received at `receivedAt` may name. */
export const notAfter = (receivedAt: Date | number, skewMs: number) =>
  new Date(receivedAt).getTime() + skewMs;
