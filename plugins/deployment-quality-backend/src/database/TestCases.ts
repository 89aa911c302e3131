import {
  FAILURE_STATUSES,
  FINISHED_STATUSES,
  FailedTest,
  FailureSignaturesResponse,
  SIGNATURE_OCCURRENCES_LIMIT,
  SignatureOccurrencesResponse,
  FLAKY_DEFINITIONS,
  FLAKY_EVIDENCE_LIMIT,
  FLAKY_TESTS_LIMIT,
  FlakyEvidenceKind,
  FlakyTest,
  FlakyTestsResponse,
  TestCaseRef,
  TestFailureSignature,
  TestHistoryResponse,
  TestRunOutcome,
} from '@deployment-quality/plugin-deployment-quality-common';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  CaseOutcome,
  STATUS_CODES,
  decodeIds,
  decodeOutcomes,
  encodeIds,
  encodeOutcomes,
} from '../reports/caseEncoding';
import { failureSignature } from '../reports/failureSignature';
import { CaseResult, CaseStatus } from '../reports/suites';
import { INSERT_ROWS, chunks } from './chunks';
import { FiguresCache } from '../analytics/FiguresCache';
import { Visibility, onlyVisible } from '../visibility/Visibility';

type Row = Record<string, any>;

/** A test case of a report, with the suite that held it. */
export type ReportedCase = CaseResult & { suite: string };

/** The cases of one test-result event (one suite type of a report). */
export interface RunCases {
  /** The test-result event's id: its dq_test_runs row, when stored. */
  eventId: string;
  executedAt: number;
  cases: ReportedCase[];
}

/** Longest failure message kept per failed test. */
export const MAX_MESSAGE_LENGTH = 1000;
/** Longest suite, class or test name kept (the key hashes the whole). */
const MAX_NAME_LENGTH = 1000;
/** How long a service's flaky list is reused, at most. */
const FLAKY_ANSWER_MS = 30_000;
/** Failures caused only by flaky or quarantined tests, listed at most. */
const NOISE_LISTED = 20;
/** Failed tests listed with a build, at most. */
const FAILED_TESTS_LIMIT = 100;
/** Decoded case sets kept in memory between reports and reads. */
const SET_CACHE_SIZE = 500;
/** Runs decoded per turn of the event loop. */
const RUNS_PER_TURN = 25;
/** An attempt, or the build a run named when its attempt is unknown. */
const ATTEMPT =
  "coalesce(r.attempt_id, r.cluster_id || ':' || r.service_id || ':' || r.build_version)";
/** Tests judged flaky or not per turn of the event loop. */
const CASES_PER_TURN = 200;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
/** A test's key: its suite, class and name (dq_test_cases.case_key). */
export const caseKeyOf = (c: {
  suite: string;
  className: string;
  name: string;
}) => sha1(`${c.suite}\u0000${c.className}\u0000${c.name}`);
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

const SEVERITY: Record<CaseStatus, number> = {
  passed: 0,
  skipped: 1,
  other: 2,
  failed: 3,
};

/**
 * One entry per test: a report naming a test twice (parameterised tests
 * without distinct names) keeps its worst outcome and the sum of its time.
 */
function distinctCases(cases: ReportedCase[]) {
  const byKey = new Map<string, ReportedCase>();
  for (const c of cases) {
    const key = caseKeyOf(c);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...c });
      continue;
    }
    seen.durationMs += c.durationMs;
    seen.retries += c.retries;
    if (SEVERITY[c.status] > SEVERITY[seen.status]) {
      seen.status = c.status;
      if (c.message) seen.message = c.message;
    }
    seen.message ??= c.message;
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, c]) => ({ key, case: c }));
}

/** A run of the service, with what its blob holds once decoded. */
interface ServiceRun {
  eventId: string;
  attemptId: string | null;
  clusterId: string | null;
  buildVersion: string | null;
  suiteType: string;
  executedAt: number;
  setId: number;
}

interface FailureRow {
  eventId: string;
  caseId: number;
  status: 'failed' | 'passed';
  retries: number;
  signature: string | null;
  message: string | null;
}

/** One run of one test, in time order, as the flaky rule reads it. */
interface CaseRun {
  run: ServiceRun;
  outcome: CaseOutcome;
  failure?: FailureRow;
  flaky: FlakyEvidenceKind | null;
}

/**
 * Marks the runs of one test that prove it flaky (FLAKY_DEFINITIONS.flaky):
 * a pass after failed retries; a failure with a pass on the same attempt;
 * a failure with a pass within `flipWindow` consecutive runs of the same
 * build version. Runs are in time order; skipped runs don't count.
 */
export function markFlaky(runs: CaseRun[], flipWindow: number) {
  const passedAttempts = new Set(
    runs
      .filter(r => r.outcome.status === 'passed' && r.run.attemptId)
      .map(r => r.run.attemptId),
  );
  const byVersion = new Map<string, CaseRun[]>();
  for (const r of runs) {
    if (r.outcome.status !== 'passed' && r.outcome.status !== 'failed') {
      continue;
    }
    const key = r.run.buildVersion ?? `\u0000${r.run.eventId}`;
    const list = byVersion.get(key);
    if (list) list.push(r);
    else byVersion.set(key, [r]);
  }
  for (const version of byVersion.values()) {
    version.forEach((r, i) => {
      if (r.outcome.status === 'passed') {
        if (r.failure && r.failure.retries > 0) r.flaky = 'retry';
        return;
      }
      if (r.run.attemptId && passedAttempts.has(r.run.attemptId)) {
        r.flaky = 'rerun';
        return;
      }
      const near = version.slice(
        Math.max(0, i - flipWindow + 1),
        i + flipWindow,
      );
      if (near.some(n => n.outcome.status === 'passed')) r.flaky = 'flip';
    });
  }
}

/** A test's outcome in a run whose set of tests doesn't hold it. */
const ABSENT = 255;

/** One test's runs, in the runs' order, for markFlaky. */
function runsOfCase(
  runs: ServiceRun[],
  outcomes: { statuses: Uint8Array; durations: Float64Array },
  failureOf: (eventId: string) => FailureRow | undefined,
): CaseRun[] {
  const list: CaseRun[] = [];
  outcomes.statuses.forEach((code, index) => {
    if (code === ABSENT) return;
    const run = runs[index];
    list.push({
      run,
      outcome: {
        status: STATUS_CODES[code],
        durationMs: outcomes.durations[index],
      },
      failure: failureOf(run.eventId),
      flaky: null,
    });
  });
  return list;
}

/** Failure rows by run and test. */
function failureIndex(failures: FailureRow[]) {
  const byKey = new Map(
    failures.map(f => [`${f.eventId}\u0000${f.caseId}`, f]),
  );
  return (caseId: number) => (eventId: string) =>
    byKey.get(`${eventId}\u0000${caseId}`);
}

/**
 * Per-test history (src/reports/caseEncoding.ts): stored by the report
 * route beside the test-result events it submits, keyed by their ids, so
 * a report sent twice stores its cases once and the cases of a run queued
 * on SQS are there when the run is written. Reads go through the runs:
 * a test is only ever shown with the runs of the service asked for.
 */
export class TestCaseStore {
  private readonly sets = new Map<number, number[]>();
  /**
   * Flaky lists, each kept for the rest of its FLAKY_ANSWER_MS slot: every
   * viewer's minute refresh of a Quality tab would otherwise decode the
   * service's runs again; requests during a computation share it.
   */
  private readonly flakyAnswers = new FiguresCache<FlakyTestsResponse>({
    maxEntries: 256,
    maxStaleMs: 0,
  });

  /** `reads` serves the reads: on SQLite, off the event loop (sqliteReader). */
  constructor(private readonly db: Knex, private readonly reads: Knex = db) {}

  /** Stores the cases of runs not stored yet, in one transaction. */
  async write(runs: RunCases[]): Promise<void> {
    const withCases = runs.filter(r => r.cases.length > 0);
    if (withCases.length === 0) return;
    await this.db.transaction(async tx => {
      const stored = new Set<string>(
        await tx('dq_test_run_cases')
          .whereIn(
            'event_id',
            withCases.map(r => r.eventId),
          )
          .pluck('event_id'),
      );
      for (const run of withCases) {
        if (!stored.has(run.eventId)) await this.writeRun(tx, run);
      }
    });
  }

  private async writeRun(tx: Knex.Transaction, run: RunCases) {
    const cases = distinctCases(run.cases);
    const setId = await this.setOf(
      tx,
      cases.map(c => c.key),
      cases.map(c => c.case),
    );
    const ids = await this.idsOf(tx, setId);
    await tx('dq_test_run_cases')
      .insert({
        event_id: run.eventId,
        executed_at: run.executedAt,
        case_set_id: setId,
        outcomes: encodeOutcomes(cases.map(c => c.case)),
      })
      .onConflict('event_id')
      .ignore();

    const failures = cases.flatMap((c, i) =>
      c.case.status === 'failed' || c.case.retries > 0
        ? [{ caseId: ids[i], c: c.case }]
        : [],
    );
    if (failures.length === 0) return;
    const signatures = await this.signatureIds(
      tx,
      failures.flatMap(f => (f.c.message ? [f.c.message] : [])),
    );
    for (const chunk of chunks(failures, INSERT_ROWS)) {
      await tx('dq_test_case_failures').insert(
        chunk.map(({ caseId, c }) => ({
          event_id: run.eventId,
          case_id: caseId,
          status: c.status === 'failed' ? 'failed' : 'passed',
          retries: c.retries,
          signature_id: c.message
            ? signatures.get(failureSignature(c.message)) ?? null
            : null,
          message: c.message?.slice(0, MAX_MESSAGE_LENGTH) ?? null,
          executed_at: run.executedAt,
        })),
      );
    }
  }

  /** The id of the set of these cases (keys sorted), stored if new. */
  private async setOf(
    tx: Knex.Transaction,
    keys: string[],
    cases: ReportedCase[],
  ): Promise<number> {
    const setKey = sha1(keys.join(''));
    const existing = await tx('dq_test_case_sets')
      .where('set_key', setKey)
      .first('id');
    if (existing) return Number(existing.id);

    const idOf = new Map<string, number>();
    for (const chunk of chunks(
      keys.map((key, i) => ({ key, c: cases[i] })),
      INSERT_ROWS,
    )) {
      await tx('dq_test_cases')
        .insert(
          chunk.map(({ key, c }) => ({
            case_key: key,
            suite: c.suite.slice(0, MAX_NAME_LENGTH),
            class_name: c.className.slice(0, MAX_NAME_LENGTH),
            name: c.name.slice(0, MAX_NAME_LENGTH),
          })),
        )
        .onConflict('case_key')
        .ignore();
      const rows: Row[] = await tx('dq_test_cases')
        .whereIn(
          'case_key',
          chunk.map(c => c.key),
        )
        .select('id', 'case_key');
      rows.forEach(r => idOf.set(r.case_key, Number(r.id)));
    }
    const ids = keys.map(key => idOf.get(key)!);
    await tx('dq_test_case_sets')
      .insert({ set_key: setKey, size: ids.length, case_ids: encodeIds(ids) })
      .onConflict('set_key')
      .ignore();
    const row = await tx('dq_test_case_sets')
      .where('set_key', setKey)
      .first('id');
    return Number(row.id);
  }

  /** A set's case ids, in its order; kept decoded for the next reports. */
  private async idsOf(db: Knex, setId: number): Promise<number[]> {
    const cached = this.sets.get(setId);
    if (cached) {
      // Refresh its place: the least recently used set goes first.
      this.sets.delete(setId);
      this.sets.set(setId, cached);
      return cached;
    }
    const row = await db('dq_test_case_sets')
      .where('id', setId)
      .first('case_ids');
    const ids = row ? decodeIds(row.case_ids) : [];
    this.sets.set(setId, ids);
    if (this.sets.size > SET_CACHE_SIZE) {
      this.sets.delete(this.sets.keys().next().value!);
    }
    return ids;
  }

  private async signatureIds(
    tx: Knex.Transaction,
    messages: string[],
  ): Promise<Map<string, number>> {
    const bySignature = new Map(
      messages.map(m => {
        const signature = failureSignature(m);
        return [signature, sha1(signature)];
      }),
    );
    const ids = new Map<string, number>();
    for (const chunk of chunks([...bySignature], INSERT_ROWS)) {
      await tx('dq_failure_signatures')
        .insert(
          chunk.map(([signature, key]) => ({ signature_key: key, signature })),
        )
        .onConflict('signature_key')
        .ignore();
      const rows: Row[] = await tx('dq_failure_signatures')
        .whereIn(
          'signature_key',
          chunk.map(([, key]) => key),
        )
        .select('id', 'signature');
      rows.forEach(r => ids.set(r.signature, Number(r.id)));
    }
    return ids;
  }

  /** The service's runs with cases in the window, oldest first. */
  private async runsOf(
    serviceId: string,
    window: { from: number; to: number },
  ): Promise<ServiceRun[]> {
    const rows: Row[] = await this.reads('dq_test_runs as r')
      .join('dq_test_run_cases as c', 'c.event_id', 'r.event_id')
      .where('r.service_id', serviceId)
      .where('r.executed_at', '>=', window.from)
      .where('r.executed_at', '<', window.to)
      .orderBy([
        { column: 'r.executed_at', order: 'asc' },
        { column: 'r.event_id', order: 'asc' },
      ])
      .select(
        'r.event_id',
        'r.attempt_id',
        'r.cluster_id',
        'r.build_version',
        'r.suite_type',
        'r.executed_at',
        'c.case_set_id',
      );
    return rows.map(r => ({
      eventId: r.event_id,
      attemptId: r.attempt_id,
      clusterId: r.cluster_id,
      buildVersion: r.build_version,
      suiteType: r.suite_type,
      executedAt: Number(r.executed_at),
      setId: Number(r.case_set_id),
    }));
  }

  private async failuresOf(
    serviceId: string,
    window: { from: number; to: number },
    caseId?: number,
  ): Promise<FailureRow[]> {
    const rows: Row[] = await this.reads('dq_test_case_failures as f')
      .join('dq_test_runs as r', 'r.event_id', 'f.event_id')
      .leftJoin('dq_failure_signatures as s', 's.id', 'f.signature_id')
      .where('r.service_id', serviceId)
      .where('r.executed_at', '>=', window.from)
      .where('r.executed_at', '<', window.to)
      .modify(q => (caseId !== undefined ? q.where('f.case_id', caseId) : q))
      .select(
        'f.event_id',
        'f.case_id',
        'f.status',
        'f.retries',
        's.signature',
        'f.message',
      );
    return rows.map(r => ({
      eventId: r.event_id,
      caseId: Number(r.case_id),
      status: r.status,
      retries: Number(r.retries),
      signature: r.signature ?? null,
      message: r.message ?? null,
    }));
  }

  /**
   * Each given test's outcome in each of `runs` (ABSENT where the run's
   * set doesn't hold it), decoded from the runs' blobs a few runs per turn
   * of the event loop into typed arrays: no object per outcome.
   */
  private async caseOutcomes(
    runs: ServiceRun[],
    caseIds: Set<number>,
  ): Promise<Map<number, { statuses: Uint8Array; durations: Float64Array }>> {
    // Where each wanted test sits in each set.
    const positions = new Map<number, Array<[number, number]>>();
    for (const setId of new Set(runs.map(r => r.setId))) {
      const ids = await this.idsOf(this.reads, setId);
      const at: Array<[number, number]> = [];
      ids.forEach((id, i) => {
        if (caseIds.has(id)) at.push([id, i]);
      });
      positions.set(setId, at);
    }
    const byCase = new Map<
      number,
      { statuses: Uint8Array; durations: Float64Array }
    >();
    for (const caseId of caseIds) {
      byCase.set(caseId, {
        statuses: new Uint8Array(runs.length).fill(ABSENT),
        durations: new Float64Array(runs.length),
      });
    }
    const wanted = runs
      .map((run, index) => ({ run, index }))
      .filter(({ run }) => positions.get(run.setId)!.length > 0);
    for (const part of chunks(wanted, RUNS_PER_TURN)) {
      const blobs = new Map<string, Uint8Array>(
        (
          await this.reads('dq_test_run_cases')
            .whereIn(
              'event_id',
              part.map(r => r.run.eventId),
            )
            .select('event_id', 'outcomes')
        ).map((r: Row) => [r.event_id, r.outcomes]),
      );
      for (const { run, index } of part) {
        const { statuses, durations } = decodeOutcomes(blobs.get(run.eventId)!);
        for (const [caseId, i] of positions.get(run.setId)!) {
          const outcomes = byCase.get(caseId)!;
          outcomes.statuses[index] = statuses[i];
          outcomes.durations[index] = durations[i];
        }
      }
      await yieldToLoop();
    }
    return byCase;
  }

  private async refs(caseIds: number[]): Promise<Map<number, TestCaseRef>> {
    const refs = new Map<number, TestCaseRef>();
    for (const chunk of chunks(caseIds, INSERT_ROWS)) {
      const rows: Row[] = await this.reads('dq_test_cases')
        .whereIn('id', chunk)
        .select('id', 'suite', 'class_name', 'name');
      for (const r of rows) {
        refs.set(Number(r.id), {
          caseId: String(r.id),
          suite: r.suite,
          className: r.class_name,
          name: r.name,
        });
      }
    }
    return refs;
  }

  /**
   * The test, if the service ran it in one of its latest `runs` reports
   * with cases: what may be quarantined for it.
   */
  async testOf(
    serviceId: string,
    caseId: number,
    runs = 200,
  ): Promise<TestCaseRef | undefined> {
    const recent: number[] = await this.reads('dq_test_runs as r')
      .join('dq_test_run_cases as c', 'c.event_id', 'r.event_id')
      .where('r.service_id', serviceId)
      .orderBy('r.executed_at', 'desc')
      .limit(runs)
      .pluck('c.case_set_id');
    for (const setId of new Set(recent.map(Number))) {
      if ((await this.idsOf(this.reads, setId)).includes(caseId)) {
        return (await this.refs([caseId])).get(caseId);
      }
    }
    return undefined;
  }

  /**
   * The fleet's top failure signatures in the window, by attempts affected,
   * over the services the caller may see.
   */
  async signatures(
    window: { from: number; to: number },
    limit: number,
    visibility: Visibility,
  ): Promise<FailureSignaturesResponse> {
    const failures = () =>
      this.reads('dq_test_case_failures as f')
        .join('dq_test_runs as r', 'r.event_id', 'f.event_id')
        .where('f.executed_at', '>=', window.from)
        .where('f.executed_at', '<', window.to)
        .where('f.status', 'failed')
        .whereNotNull('f.signature_id')
        .whereNotNull('r.service_id')
        .modify(onlyVisible(this.reads, visibility, 'r.service_id'));
    const attempts = this.reads.raw(`count(distinct ${ATTEMPT}) as attempts`);
    const top: Row[] = await failures()
      .groupBy('f.signature_id')
      .select(
        'f.signature_id',
        attempts,
        this.reads.raw('count(distinct r.service_id) as services'),
        this.reads.raw('count(distinct r.cluster_id) as clusters'),
        this.reads.raw('count(*) as failures'),
        this.reads.raw('count(distinct f.case_id) as tests'),
        this.reads.raw('max(f.executed_at) as last_seen'),
      )
      .orderBy([
        { column: 'attempts', order: 'desc' },
        { column: 'failures', order: 'desc' },
        { column: 'f.signature_id', order: 'asc' },
      ])
      .limit(limit);
    const ids = top.map(r => Number(r.signature_id));
    const [texts, byService]: [Row[], Row[]] = ids.length
      ? await Promise.all([
          this.reads('dq_failure_signatures')
            .whereIn('id', ids)
            .select('id', 'signature'),
          failures()
            .whereIn('f.signature_id', ids)
            .groupBy('f.signature_id', 'r.service_id')
            .select('f.signature_id', 'r.service_id', attempts),
        ])
      : [[], []];
    const text = new Map(texts.map(t => [Number(t.id), t.signature]));
    const services = new Map<
      number,
      Array<{ serviceId: string; attempts: number }>
    >();
    for (const r of byService) {
      const list = services.get(Number(r.signature_id)) ?? [];
      list.push({ serviceId: r.service_id, attempts: Number(r.attempts) });
      services.set(Number(r.signature_id), list);
    }
    return {
      filter: { from: iso(window.from), to: iso(window.to), limit },
      signatures: top.map(r => ({
        signatureId: String(r.signature_id),
        signature: text.get(Number(r.signature_id)) ?? '',
        attempts: Number(r.attempts),
        services: Number(r.services),
        clusters: Number(r.clusters),
        failures: Number(r.failures),
        tests: Number(r.tests),
        lastSeen: iso(r.last_seen),
        topServices: (services.get(Number(r.signature_id)) ?? [])
          .sort(
            (a, b) =>
              b.attempts - a.attempts || (a.serviceId < b.serviceId ? -1 : 1),
          )
          .slice(0, 5),
      })),
    };
  }

  /** A signature's latest failures in the window, on visible services. */
  async occurrences(
    signatureId: number,
    window: { from: number; to: number },
    visibility: Visibility,
  ): Promise<SignatureOccurrencesResponse> {
    const signature = await this.reads('dq_failure_signatures')
      .where('id', signatureId)
      .first('signature');
    const rows: Row[] = signature
      ? await this.reads('dq_test_case_failures as f')
          .join('dq_test_runs as r', 'r.event_id', 'f.event_id')
          .join('dq_test_cases as t', 't.id', 'f.case_id')
          .where('f.signature_id', signatureId)
          .where('f.status', 'failed')
          .where('f.executed_at', '>=', window.from)
          .where('f.executed_at', '<', window.to)
          .whereNotNull('r.service_id')
          .modify(onlyVisible(this.reads, visibility, 'r.service_id'))
          .orderBy([
            { column: 'f.executed_at', order: 'desc' },
            { column: 'f.id', order: 'desc' },
          ])
          .limit(SIGNATURE_OCCURRENCES_LIMIT)
          .select(
            'f.case_id',
            't.suite',
            't.class_name',
            't.name',
            'r.service_id',
            'r.cluster_id',
            'r.attempt_id',
            'r.build_version',
            'f.executed_at',
            'f.message',
          )
      : [];
    // Hidden or absent alike: a signature seen only on services the caller
    // can't read is not found.
    if (rows.length === 0) {
      throw new NotFoundError(
        `No failures with signature ${signatureId} in the window`,
      );
    }
    return {
      filter: { from: iso(window.from), to: iso(window.to) },
      signatureId: String(signatureId),
      signature: signature.signature,
      occurrences: rows.map(r => ({
        caseId: String(r.case_id),
        suite: r.suite,
        className: r.class_name,
        name: r.name,
        serviceId: r.service_id,
        clusterId: r.cluster_id,
        attemptId: r.attempt_id,
        buildVersion: r.build_version,
        executedAt: iso(r.executed_at),
        message: r.message ?? null,
      })),
    };
  }

  /** The tests that failed or needed retries in the attempt's runs. */
  async failedTestsOf(attemptId: string): Promise<FailedTest[]> {
    const rows: Row[] = await this.reads('dq_test_case_failures as f')
      .join('dq_test_runs as r', 'r.event_id', 'f.event_id')
      .join('dq_test_cases as t', 't.id', 'f.case_id')
      .leftJoin('dq_failure_signatures as s', 's.id', 'f.signature_id')
      .where('r.attempt_id', attemptId)
      // 'failed' sorts before 'passed': failures first.
      .orderBy([
        { column: 'f.status', order: 'asc' },
        { column: 'f.executed_at', order: 'desc' },
        { column: 'f.id', order: 'asc' },
      ])
      .limit(FAILED_TESTS_LIMIT)
      .select(
        'f.case_id',
        't.suite',
        't.class_name',
        't.name',
        'r.suite_type',
        'f.status',
        'f.retries',
        'f.message',
        's.signature',
        'f.executed_at',
      );
    return rows.map(r => ({
      caseId: String(r.case_id),
      suite: r.suite,
      className: r.class_name,
      name: r.name,
      suiteType: r.suite_type,
      status: r.status,
      retries: Number(r.retries),
      message: r.message ?? null,
      signature: r.signature ?? null,
      executedAt: iso(r.executed_at),
    }));
  }

  /**
   * The service's change failure rate over the window, with and without
   * the failures whose failed tests were all `noisy` (flaky or
   * quarantined): FLAKY_DEFINITIONS.changeFailureRateWithoutTestNoise.
   */
  private async changeFailures(
    serviceId: string,
    window: { from: number; to: number },
    noisy: Set<number>,
  ): Promise<FlakyTestsResponse['changeFailures']> {
    const ended = () =>
      this.reads('dq_attempts as a')
        .where('a.service_id', serviceId)
        .where('a.ended_at', '>=', window.from)
        .where('a.ended_at', '<', window.to);
    const [{ n: finished }] = await ended()
      .whereIn('a.status', FINISHED_STATUSES)
      .count({ n: '*' });
    const rows: Row[] = await ended()
      .whereIn('a.status', FAILURE_STATUSES)
      .leftJoin('dq_test_runs as r', 'r.attempt_id', 'a.id')
      .leftJoin('dq_test_case_failures as f', q =>
        q.on('f.event_id', 'r.event_id').onVal('f.status', 'failed'),
      )
      .leftJoin('dq_test_cases as t', 't.id', 'f.case_id')
      .orderBy([
        { column: 'a.ended_at', order: 'desc' },
        { column: 'a.id', order: 'asc' },
      ])
      .select(
        'a.id',
        'a.status',
        'a.cluster_id',
        'a.build_version',
        'a.ended_at',
        'f.case_id',
        't.name',
      );
    const attempts = new Map<
      string,
      { row: Row; tests: Map<number, string> }
    >();
    for (const r of rows) {
      const attempt = attempts.get(r.id) ?? { row: r, tests: new Map() };
      if (r.case_id !== null) attempt.tests.set(Number(r.case_id), r.name);
      attempts.set(r.id, attempt);
    }
    const noise = [...attempts.values()].filter(
      ({ tests }) =>
        tests.size > 0 && [...tests.keys()].every(id => noisy.has(id)),
    );
    const total = Number(finished);
    const failures = attempts.size;
    const rate = (n: number) =>
      total > 0 ? Math.round((n / total) * 10_000) / 10_000 : null;
    return {
      failures,
      finished: total,
      rate: rate(failures),
      testNoise: noise.length,
      rateWithoutTestNoise: rate(failures - noise.length),
      noise: noise.slice(0, NOISE_LISTED).map(({ row, tests }) => ({
        attemptId: row.id,
        clusterId: row.cluster_id,
        buildVersion: row.build_version,
        status: row.status,
        endedAt: iso(row.ended_at),
        tests: [...tests.values()].sort(),
      })),
    };
  }

  /** The service's flaky tests in the window (FLAKY_DEFINITIONS). */
  async flaky(
    serviceId: string,
    window: { from: number; to: number },
    flipWindow: number,
    quarantined: Set<number> = new Set(),
  ): Promise<FlakyTestsResponse> {
    const key = JSON.stringify([
      serviceId,
      window.from,
      window.to,
      flipWindow,
      [...quarantined].sort((a, b) => a - b),
    ]);
    return this.flakyAnswers.get(
      key,
      async () => Math.floor(Date.now() / FLAKY_ANSWER_MS),
      () => this.computeFlaky(serviceId, window, flipWindow, quarantined),
      false,
    );
  }

  private async computeFlaky(
    serviceId: string,
    window: { from: number; to: number },
    flipWindow: number,
    quarantined: Set<number>,
  ): Promise<FlakyTestsResponse> {
    const filter = {
      serviceId,
      from: iso(window.from),
      to: iso(window.to),
      flipWindow,
    };
    const answer = async (
      tests: FlakyTest[],
      truncated: boolean,
      flakyIds: number[],
    ): Promise<FlakyTestsResponse> => ({
      filter,
      tests,
      truncated,
      changeFailures: await this.changeFailures(
        serviceId,
        window,
        new Set([...flakyIds, ...quarantined]),
      ),
      definitions: FLAKY_DEFINITIONS,
    });
    const failures = await this.failuresOf(serviceId, window);
    if (failures.length === 0) return answer([], false, []);
    const runs = await this.runsOf(serviceId, window);
    const byCase = await this.caseOutcomes(
      runs,
      new Set(failures.map(f => f.caseId)),
    );
    const failureOf = failureIndex(failures);

    // A test at a time, a few hundred per turn of the event loop: a
    // service with thousands of failing tests has millions of runs here.
    const found: Array<{
      caseId: number;
      executed: number;
      suiteType: string;
      flaky: CaseRun[];
    }> = [];
    let done = 0;
    for (const [caseId, outcomes] of byCase) {
      const caseRuns = runsOfCase(runs, outcomes, failureOf(caseId));
      markFlaky(caseRuns, flipWindow);
      const flaky = caseRuns.filter(r => r.flaky);
      if (flaky.length) {
        found.push({
          caseId,
          executed: caseRuns.filter(r => r.outcome.status !== 'skipped').length,
          suiteType: caseRuns[caseRuns.length - 1].run.suiteType,
          flaky,
        });
      }
      byCase.delete(caseId);
      if (++done % CASES_PER_TURN === 0) await yieldToLoop();
    }
    found.sort(
      (a, b) =>
        b.flaky.length / b.executed - a.flaky.length / a.executed ||
        b.flaky.length - a.flaky.length ||
        a.caseId - b.caseId,
    );
    const listed = found.slice(0, FLAKY_TESTS_LIMIT);
    const refs = await this.refs(listed.map(f => f.caseId));
    const tests = listed.map(
      ({ caseId, executed: count, suiteType, flaky }): FlakyTest => ({
        ...refs.get(caseId)!,
        suiteType,
        runs: count,
        flakyRuns: flaky.length,
        flakeRate: Math.round((flaky.length / count) * 10_000) / 10_000,
        firstSeen: iso(flaky[0].run.executedAt),
        lastSeen: iso(flaky[flaky.length - 1].run.executedAt),
        evidence: flaky
          .slice(-FLAKY_EVIDENCE_LIMIT)
          .reverse()
          .map(r => ({
            kind: r.flaky!,
            attemptId: r.run.attemptId,
            clusterId: r.run.clusterId,
            buildVersion: r.run.buildVersion,
            executedAt: iso(r.run.executedAt),
            signature: r.failure?.signature ?? null,
          })),
      }),
    );
    return answer(
      tests,
      found.length > listed.length,
      found.map(f => f.caseId),
    );
  }

  /**
   * One test's runs on the service in the window, newest first, and its
   * failure signatures. A test the service didn't run in the window is not
   * found: ids of other services' tests reveal nothing.
   */
  async history(
    serviceId: string,
    caseId: number,
    window: { from: number; to: number },
    limit: number,
    flipWindow: number,
  ): Promise<TestHistoryResponse> {
    const [runs, failures, refs] = await Promise.all([
      this.runsOf(serviceId, window),
      this.failuresOf(serviceId, window, caseId),
      this.refs([caseId]),
    ]);
    const decoded = (await this.caseOutcomes(runs, new Set([caseId]))).get(
      caseId,
    )!;
    const caseRuns = runsOfCase(runs, decoded, failureIndex(failures)(caseId));
    const test = refs.get(caseId);
    if (!test || caseRuns.length === 0) {
      throw new NotFoundError(
        `No runs of test ${caseId} on service ${serviceId} in the window`,
      );
    }
    markFlaky(caseRuns, flipWindow);

    const signatures = new Map<string, TestFailureSignature>();
    for (const r of caseRuns) {
      const f = r.failure;
      if (!f?.signature) continue;
      const seen = signatures.get(f.signature) ?? {
        signature: f.signature,
        runs: 0,
        lastSeen: '',
        message: null,
      };
      seen.runs += 1;
      seen.lastSeen = iso(r.run.executedAt);
      seen.message = f.message;
      signatures.set(f.signature, seen);
    }
    const outcomes = caseRuns
      .slice(-limit)
      .reverse()
      .map(
        (r): TestRunOutcome => ({
          attemptId: r.run.attemptId,
          clusterId: r.run.clusterId,
          buildVersion: r.run.buildVersion,
          suiteType: r.run.suiteType,
          executedAt: iso(r.run.executedAt),
          status: r.outcome.status,
          durationMs: r.outcome.durationMs,
          retries: r.failure?.retries ?? 0,
          flaky: r.flaky,
          message: r.failure?.message ?? null,
          signature: r.failure?.signature ?? null,
        }),
      );
    return {
      filter: {
        serviceId,
        from: iso(window.from),
        to: iso(window.to),
        limit,
      },
      test,
      outcomes,
      signatures: [...signatures.values()].sort(
        (a, b) => b.runs - a.runs || b.lastSeen.localeCompare(a.lastSeen, 'en'),
      ),
    };
  }
}
