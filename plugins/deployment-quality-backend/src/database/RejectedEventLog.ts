import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { RecordedRejection, RejectedEvent } from './DeploymentQualityStore';
import { rejectedRows } from './rejectedRows';
import { Visibility, onlyVisible } from '../visibility/Visibility';

/** Rows kept by default: weeks of a noisy sender, a few hundred MB at most. */
export const DEFAULT_MAX_REJECTED_EVENTS = 10_000;

/**
 * Rows deleted per statement when over the cap: a normal insert leaves a
 * handful to drop, but lowering the cap (or the first start after the
 * amplifying version) can leave many, and one huge delete would hold its
 * locks for long.
 */
const TRIM_CHUNK = 1000;

const DROPPED = 'rejected_events_dropped';

type Row = Record<string, any>;

/**
 * dq_rejected_events: refused requests for the diagnostics route, a
 * bounded number of rows each (see rejectedRows), the table capped at
 * `maxRows` with the oldest rows dropped first and the rejected events they
 * covered counted in dq_counters, so a sender can't fill the database with
 * refusals and an operator can tell how much was lost.
 */
export class RejectedEventLog {
  constructor(
    private readonly db: Knex,
    private readonly maxRows = DEFAULT_MAX_REJECTED_EVENTS,
    private readonly logger?: LoggerService,
  ) {}

  async record(event: RejectedEvent): Promise<{ dropped: number }> {
    const receivedAt = Date.parse(event.receivedAt);
    await this.db('dq_rejected_events').insert(
      rejectedRows(event).map(row => ({
        received_at: receivedAt,
        transport: event.transport,
        source: event.source?.slice(0, 100) ?? null,
        reason: event.reason,
        event_id: row.eventId?.slice(0, 200) ?? null,
        event_type: row.eventType?.slice(0, 64) ?? null,
        service_id: row.serviceId?.slice(0, 128) ?? null,
        audience: row.audience,
        items: row.items,
        problems: JSON.stringify(row.problems),
        body: row.body ?? null,
      })),
    );
    // The refusal is recorded: a failed trim mustn't make a queue message
    // look unrecorded (it would be redelivered and recorded twice). The
    // next refusal trims again.
    try {
      return { dropped: await this.trim() };
    } catch (error) {
      this.logger?.warn(`Could not trim dq_rejected_events: ${error}`);
      return { dropped: 0 };
    }
  }

  /**
   * Drops the oldest rows beyond the cap; answers the rejected events they
   * covered. Each chunk deletes and counts in one transaction, counting what
   * its delete returned, so replicas trimming at once count each row once.
   */
  async trim(): Promise<number> {
    let dropped = 0;
    for (;;) {
      const edge = await this.db('dq_rejected_events')
        .orderBy('id', 'desc')
        .offset(this.maxRows)
        .first('id');
      if (!edge) return dropped;
      const { rows, events } = await this.db.transaction(async tx => {
        // Raw: knex drops `returning` from a delete on SQLite.
        const result = await tx.raw(
          `delete from dq_rejected_events where id in
             (select id from dq_rejected_events where id <= ? order by id limit ?)
           returning items, audience`,
          [edge.id, TRIM_CHUNK],
        );
        const deleted: Row[] = result.rows ?? result;
        // `restricted` rows repeat items of their request's `sees-all` row.
        const n = deleted
          .filter(r => r.audience !== 'restricted')
          .reduce((sum, r) => sum + Number(r.items), 0);
        if (n > 0) {
          await tx('dq_counters')
            .where({ name: DROPPED })
            .increment('value', n);
        }
        return { rows: deleted.length, events: n };
      });
      dropped += events;
      if (rows < TRIM_CHUNK) return dropped;
    }
  }

  async list(options: {
    limit: number;
    visibility: Visibility;
  }): Promise<RecordedRejection[]> {
    const rows: Row[] = await this.db('dq_rejected_events')
      .modify(this.visibleTo(options.visibility))
      .orderBy('id', 'desc')
      .limit(options.limit);
    return rows.map(r => ({
      id: String(r.id),
      receivedAt: new Date(Number(r.received_at)).toISOString(),
      transport: r.transport,
      ...(r.source ? { source: r.source } : {}),
      ...(r.event_id ? { eventId: r.event_id } : {}),
      ...(r.event_type ? { eventType: r.event_type } : {}),
      ...(r.service_id ? { serviceId: r.service_id } : {}),
      reason: r.reason,
      items: Number(r.items),
      problems: JSON.parse(r.problems),
      ...(r.body ? { body: r.body } : {}),
    }));
  }

  async countByReason(visibility: Visibility): Promise<Record<string, number>> {
    const rows: Row[] = await this.db('dq_rejected_events')
      .modify(this.visibleTo(visibility))
      .groupBy('reason')
      .select('reason')
      .sum({ n: 'items' });
    return Object.fromEntries(rows.map(r => [r.reason, Number(r.n)]));
  }

  async countDropped(): Promise<number> {
    const row = await this.db('dq_counters')
      .where({ name: DROPPED })
      .first('value');
    return Number(row?.value ?? 0);
  }

  private visibleTo(visibility: Visibility) {
    const byService = onlyVisible(
      this.db,
      visibility,
      'dq_rejected_events.service_id',
    );
    return (q: Knex.QueryBuilder) => {
      q.whereIn(
        'audience',
        visibility.all ? ['everyone', 'sees-all'] : ['everyone', 'restricted'],
      );
      byService(q);
    };
  }
}
