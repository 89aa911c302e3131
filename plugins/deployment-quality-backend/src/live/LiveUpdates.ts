import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import { LIVE_CHANNEL } from '@deployment-quality/plugin-deployment-quality-common';

/**
 * Tells open pages which cluster-regions just got new attempts or test
 * runs, through Backstage signals, so they reload instead of waiting for
 * their minute. Broadcast to every signed-in user, so it names cluster
 * ids only, never a service: what changed for whom is for each page's own
 * request to say, under the caller's visibility. Writes within `delayMs`
 * are one signal.
 */
export class LiveUpdates {
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly signals: Pick<SignalsService, 'publish'>,
    private readonly logger: LoggerService,
    private readonly delayMs = 1000,
  ) {}

  changed(clusterIds: Iterable<string>): void {
    for (const id of clusterIds) this.pending.add(id);
    if (this.pending.size === 0 || this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
    this.timer.unref?.();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const clusters = [...this.pending].sort();
    this.pending = new Set();
    try {
      await this.signals.publish({
        recipients: { type: 'broadcast' },
        channel: LIVE_CHANNEL,
        message: { clusters },
      });
    } catch (error) {
      // Pages still reload every minute.
      this.logger.debug(`Could not signal changes of ${clusters}: ${error}`);
    }
  }
}
