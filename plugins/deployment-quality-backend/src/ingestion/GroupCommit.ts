import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import {
  DeploymentQualityStore,
  IngestOutcome,
} from '../database/DeploymentQualityStore';

type Write = (events: EventEnvelope[]) => Promise<IngestOutcome[]>;

interface Pending {
  events: EventEnvelope[];
  resolve(outcomes: IngestOutcome[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit: writes (webhook requests, SQS batches of the consumer's
 * pollers) that arrive while `maxInFlight` transactions are being written
 * wait for one to finish and then go together in the next, so fifty
 * concurrent deliveries cost a few commits rather than fifty. A write that
 * finds a free slot goes at once, so nothing waits on a timer.
 *
 * Each request gets exactly the outcomes of its own events (an event the
 * database refuses fails alone, see isolateRefused) and answers only after
 * the transaction holding them committed. If a shared transaction fails all
 * the same (a deadlock, a timeout), each request in it is retried in a
 * transaction of its own, so one delivery's failure never fails the others.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly maxEvents: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly write: Write,
    options: {
      /** Events per shared transaction (a request is never split). */
      maxEvents?: number;
      /**
       * Transactions written at once: on PostgreSQL several overlap their
       * round trips; SQLite's single connection queues them anyway.
       */
      maxInFlight?: number;
    } = {},
  ) {
    this.maxEvents = options.maxEvents ?? 500;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  submit(events: EventEnvelope[]): Promise<IngestOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.take();
      this.inFlight++;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The oldest requests, up to maxEvents events (at least one request). */
  private take(): Pending[] {
    let n = 0;
    let count = 0;
    while (n < this.queue.length) {
      count += this.queue[n].events.length;
      if (n > 0 && count > this.maxEvents) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async flush(group: Pending[]) {
    if (group.length === 1) {
      await this.settle(group[0]);
      return;
    }
    let outcomes: IngestOutcome[];
    try {
      outcomes = await this.write(group.flatMap(p => p.events));
    } catch {
      for (const pending of group) await this.settle(pending);
      return;
    }
    let offset = 0;
    for (const pending of group) {
      pending.resolve(outcomes.slice(offset, offset + pending.events.length));
      offset += pending.events.length;
    }
  }

  private async settle(pending: Pending) {
    try {
      pending.resolve(await this.write(pending.events));
    } catch (error) {
      pending.reject(error);
    }
  }
}

/**
 * The store with its event writes group-committed. Every other method (and
 * its `this`) is the store's own, through the prototype link.
 */
export function groupCommitted<T extends DeploymentQualityStore>(
  store: T,
  options?: { maxInFlight?: number },
): T {
  const commits = new GroupCommit(events => store.ingestBatch(events), options);
  const grouped: T = Object.create(store);
  grouped.ingestBatch = events => commits.submit(events);
  grouped.ingest = async event => (await commits.submit([event]))[0];
  return grouped;
}
