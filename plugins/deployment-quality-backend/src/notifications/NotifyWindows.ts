import { Knex } from 'knex';
import { Severity } from './config';

/** One notification as the notifications backend takes it. */
export interface Notice {
  /** The entity whose owners are told (a Component, or the admins' group). */
  entityRef: string;
  title: string;
  description: string;
  /** A path in the portal, e.g. the Component's Deployments tab. */
  link: string;
  severity: Severity;
  topic: string;
}

/** What the caller sends: the notice, under a scope that later updates replace. */
export interface Outgoing {
  notice: Notice;
  /** Firings the owners were not yet told of, this one included. */
  count: number;
  /** Since when they are counted. */
  since: number;
  scope: string;
  /** The window it belongs to. */
  window: WindowKey;
}

export interface WindowKey {
  rule: string;
  subject: string;
  openedAt: number;
}

type Row = Record<string, any>;

const scopeOf = (rule: string, subject: string, openedAt: number) =>
  `deployment-quality:${rule}:${subject}:${openedAt}`;

/**
 * De-duplication windows, one per rule and subject, in the database so that
 * every replica (and a restart) sees the same: the first firing opens a
 * window and is sent, later ones in it are only counted, and when it
 * closes the owners get one update with the count (same scope, so it
 * replaces the first notification rather than adding one).
 */
export class NotifyWindows {
  constructor(private readonly db: Knex) {}

  /** Records a firing; answers what to send now, if anything. */
  async fire(
    rule: string,
    subject: string,
    notice: Notice,
    dedupeMs: number,
    now: number,
  ): Promise<Outgoing | undefined> {
    const notification = JSON.stringify(notice);
    const opened = {
      rule,
      subject,
      opened_at: now,
      closes_at: now + dedupeMs,
      fired: 1,
      told: 1,
      notification,
    };
    const inserted = await this.db('dq_notify_windows')
      .insert(opened)
      .onConflict(['rule', 'subject'])
      .ignore()
      .returning('rule');
    if (inserted.length > 0) {
      return {
        notice,
        count: 1,
        since: now,
        scope: scopeOf(rule, subject, now),
        window: { rule, subject, openedAt: now },
      };
    }
    const row: Row | undefined = await this.db('dq_notify_windows')
      .where({ rule, subject })
      .first();
    if (row && Number(row.closes_at) > now) {
      await this.db('dq_notify_windows')
        .where({ rule, subject })
        .update({ fired: this.db.raw('fired + 1'), notification });
      return undefined;
    }
    // The window closed and its count wasn't flushed yet: a new window,
    // whose first notification carries the firings the old one kept.
    const untold = row ? Number(row.fired) - Number(row.told) : 0;
    const replaced = await this.db('dq_notify_windows')
      .where({ rule, subject, opened_at: row?.opened_at ?? null })
      .update(opened);
    if (replaced === 0) {
      // Another replica opened it meanwhile: this firing joins its window.
      await this.db('dq_notify_windows')
        .where({ rule, subject })
        .update({ fired: this.db.raw('fired + 1') });
      return undefined;
    }
    return {
      notice,
      count: untold + 1,
      since: row ? Number(row.opened_at) : now,
      scope: scopeOf(rule, subject, now),
      window: { rule, subject, openedAt: now },
    };
  }

  /**
   * Fires and, when the window says so, sends; a failed send forgets the
   * window and throws, so the firing tried again is sent.
   */
  async notify(
    firing: { rule: string; subject: string; notice: Notice; dedupeMs: number },
    now: number,
    send: (outgoing: Outgoing) => Promise<void>,
  ): Promise<void> {
    const { rule, subject, notice, dedupeMs } = firing;
    const outgoing = await this.fire(rule, subject, notice, dedupeMs, now);
    if (!outgoing) return;
    try {
      await send(outgoing);
    } catch (error) {
      await this.forget(outgoing.window);
      throw error;
    }
  }

  /**
   * Drops a window whose first notification could not be sent, so the
   * firing, tried again, opens it anew and is sent.
   */
  async forget(window: WindowKey): Promise<void> {
    await this.db('dq_notify_windows')
      .where({
        rule: window.rule,
        subject: window.subject,
        opened_at: window.openedAt,
      })
      .delete();
  }

  /**
   * Closes the windows past their end: those that kept firings the owners
   * weren't told of are sent as one update each first. A window whose
   * update fails stays, and is tried again on the next call.
   */
  async close(
    now: number,
    send: (update: Outgoing) => Promise<void>,
  ): Promise<void> {
    const rows: Row[] = await this.db('dq_notify_windows')
      .where('closes_at', '<=', now)
      .orderBy('closes_at')
      .limit(500);
    for (const row of rows) {
      const fired = Number(row.fired);
      if (fired > Number(row.told)) {
        await send({
          notice: JSON.parse(row.notification),
          count: fired,
          since: Number(row.opened_at),
          scope: scopeOf(row.rule, row.subject, Number(row.opened_at)),
          window: {
            rule: row.rule,
            subject: row.subject,
            openedAt: Number(row.opened_at),
          },
        });
      }
      await this.db('dq_notify_windows')
        .where({
          rule: row.rule,
          subject: row.subject,
          opened_at: row.opened_at,
        })
        .delete();
    }
  }
}
