import { ConflictError, NotFoundError } from '@backstage/errors';
import { QuarantinedTest } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { ConfiguredQuarantine } from '../config';
import { INSERT_ROWS, chunks } from './chunks';
import { TestCaseStore, caseKeyOf } from './TestCases';

type Row = Record<string, any>;

const iso = (ms: unknown) =>
  ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();

/**
 * The tests whose failures don't fail a gate: from config, and those put
 * there from the UI (dq_test_quarantine, where lifting one records who and
 * when instead of deleting it). A test is matched by its key (suite,
 * class, name), so a quarantine holds across the runs and case sets that
 * name it.
 */
export class Quarantine {
  constructor(
    private readonly db: Knex,
    private readonly reads: Knex,
    private readonly testCases: Pick<TestCaseStore, 'testOf'>,
    private readonly configured: ConfiguredQuarantine[],
  ) {}

  /** The service's quarantined tests, config first, then newest first. */
  async list(serviceId: string): Promise<QuarantinedTest[]> {
    const fromConfig = this.configured.filter(q => q.serviceId === serviceId);
    const rows: Row[] = await this.reads('dq_test_quarantine')
      .where('service_id', serviceId)
      .whereNull('lifted_at')
      .orderBy('added_at', 'desc')
      .select();
    const keys = [
      ...fromConfig.map(q => caseKeyOf(q)),
      ...rows.map(r => r.case_key as string),
    ];
    const ids = await this.caseIds(keys);
    const configKeys = new Set(fromConfig.map(q => caseKeyOf(q)));
    return [
      ...fromConfig.map(
        (q): QuarantinedTest => ({
          caseId: ids.get(caseKeyOf(q)) ?? null,
          suite: q.suite,
          className: q.className,
          name: q.name,
          reason: q.reason,
          source: 'config',
          addedBy: null,
          addedAt: null,
        }),
      ),
      ...rows
        .filter(r => !configKeys.has(r.case_key))
        .map(
          (r): QuarantinedTest => ({
            caseId: ids.get(r.case_key) ?? null,
            suite: r.suite,
            className: r.class_name,
            name: r.name,
            reason: r.reason,
            source: 'ui',
            addedBy: r.added_by,
            addedAt: iso(r.added_at),
          }),
        ),
    ];
  }

  /** The ids of the service's quarantined tests that reports named. */
  async caseIdsOf(serviceId: string): Promise<Set<number>> {
    return new Set(
      (await this.list(serviceId)).flatMap(q =>
        q.caseId ? [Number(q.caseId)] : [],
      ),
    );
  }

  /** Quarantines a test the service ran; again is a no-op. */
  async add(
    serviceId: string,
    caseId: number,
    reason: string,
    actor: string,
    now = Date.now(),
  ): Promise<QuarantinedTest> {
    const test = await this.testCases.testOf(serviceId, caseId);
    if (!test) {
      throw new NotFoundError(
        `No test ${caseId} in the latest reports of service ${serviceId}`,
      );
    }
    const key = caseKeyOf(test);
    await this.db.transaction(async tx => {
      const active = await tx('dq_test_quarantine')
        .where({ service_id: serviceId, case_key: key })
        .whereNull('lifted_at')
        .first('id');
      if (active) return;
      await tx('dq_test_quarantine').insert({
        service_id: serviceId,
        case_key: key,
        suite: test.suite,
        class_name: test.className,
        name: test.name,
        reason,
        added_by: actor,
        added_at: now,
      });
    });
    const listed = await this.list(serviceId);
    return listed.find(q => q.caseId === String(caseId))!;
  }

  /** Lifts a quarantine put in place from the UI; config ones stay. */
  async lift(
    serviceId: string,
    caseId: number,
    actor: string,
    now = Date.now(),
  ): Promise<void> {
    const listed = (await this.list(serviceId)).find(
      q => q.caseId === String(caseId),
    );
    if (!listed) {
      throw new NotFoundError(
        `Test ${caseId} of service ${serviceId} is not quarantined`,
      );
    }
    if (listed.source === 'config') {
      throw new ConflictError(
        `Test ${caseId} of service ${serviceId} is quarantined in app-config (deploymentQuality.gates.quarantine): lift it there`,
      );
    }
    await this.db('dq_test_quarantine')
      .where({ service_id: serviceId, case_key: caseKeyOf(listed) })
      .whereNull('lifted_at')
      .update({ lifted_by: actor, lifted_at: now });
  }

  /**
   * Per suite (lower-case, as gates key them), the failed tests of the
   * attempt's latest run of that suite that are quarantined.
   */
  async failuresOf(
    attemptId: string,
    serviceId: string,
  ): Promise<Record<string, number>> {
    const keys = (await this.list(serviceId)).map(q => caseKeyOf(q));
    if (keys.length === 0) return {};
    const ids = [...(await this.caseIds(keys)).values()].map(Number);
    if (ids.length === 0) return {};
    // The latest run per suite, ordered as the gates order them.
    const runs: Row[] = await this.reads('dq_test_runs')
      .where('attempt_id', attemptId)
      .orderBy([
        { column: 'executed_at', order: 'asc' },
        { column: 'event_id', order: 'asc' },
      ])
      .select('event_id', 'suite_type');
    const latest = new Map<string, string>();
    for (const r of runs) latest.set(r.suite_type.toLowerCase(), r.event_id);
    const suiteOf = new Map([...latest].map(([suite, id]) => [id, suite]));
    const counts: Record<string, number> = {};
    for (const part of chunks(ids, INSERT_ROWS)) {
      const rows: Row[] = await this.reads('dq_test_case_failures')
        .whereIn('event_id', [...suiteOf.keys()])
        .whereIn('case_id', part)
        .where('status', 'failed')
        .select('event_id');
      for (const r of rows) {
        const suite = suiteOf.get(r.event_id)!;
        counts[suite] = (counts[suite] ?? 0) + 1;
      }
    }
    return counts;
  }

  private async caseIds(keys: string[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const part of chunks([...new Set(keys)], INSERT_ROWS)) {
      const rows: Row[] = await this.reads('dq_test_cases')
        .whereIn('case_key', part)
        .select('id', 'case_key');
      rows.forEach(r => ids.set(r.case_key, String(r.id)));
    }
    return ids;
  }
}
