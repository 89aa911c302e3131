import { TestResultPayload } from '@deployment-quality/plugin-deployment-quality-common';
import { ProblemSummary } from '../ingestion/problems';

/** The final outcome of one test case in a report. */
export type CaseStatus = 'passed' | 'failed' | 'skipped' | 'other';

/** One test case of a parsed report. */
export interface CaseResult {
  /** The class (JUnit) or file (CTRF) that holds it; '' when none. */
  className: string;
  name: string;
  status: CaseStatus;
  durationMs: number;
  /** Runs before the final one that failed (a retry or a rerun). */
  retries: number;
  /** What the failure said: of the final run, else of the last retry. */
  message?: string;
}

/** Retries counted per test, at most (a report may say anything). */
export const MAX_RETRIES = 1000;

/**
 * Text of a test case as the databases can store it: NUL (which PostgreSQL
 * text refuses) and unpaired UTF-16 surrogates become U+FFFD. A report's
 * counts are unaffected, so one odd name doesn't refuse the whole report.
 */
export function storable(text: string): string {
  return text
    .replaceAll('\u0000', '\uFFFD')
    .replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    );
}

/** One suite of a parsed test report. */
export interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Tests neither passed, failed nor skipped (CTRF's `other`). */
  other: number;
  durationSec: number;
  /** When it ran, if the report says. */
  executedAt?: string;
  /** Its test cases, when the report lists them. */
  cases?: CaseResult[];
}

export type ParsedReport =
  | { ok: true; suites: SuiteResult[] }
  | ({ ok: false } & ProblemSummary);

/** The build a report belongs to, as the query names it. */
export type ReportTarget =
  | { attemptId: string }
  | { clusterId: string; serviceId: string; buildVersion: string };

/**
 * One test-result payload per suite type, each suite typed by `typeOf` (see
 * suiteTyper). Suites of one type are added up into one run, since the
 * views and gates keep one run per suite type and attempt. The run is
 * dated by its latest suite. When no suite says, `executedAt` is left out:
 * the receipt default dates it after the event id is derived, so the same
 * report sent again is recognised as a duplicate.
 */
export function testResultPayloads(
  suites: SuiteResult[],
  target: ReportTarget,
  typeOf: (suiteName: string) => string,
  reportUrl?: string,
): TestResultPayload[] {
  const byType = new Map<string, TestResultPayload>();
  for (const suite of suites) {
    const suiteType = typeOf(suite.name);
    const run = byType.get(suiteType) ?? {
      ...target,
      suiteType,
      total: 0,
      passed: 0,
      failed: 0,
      skipped: 0,
      durationSec: 0,
      ...(reportUrl ? { reportUrl } : {}),
    };
    run.passed += suite.passed;
    run.failed += suite.failed;
    run.skipped += suite.skipped;
    run.total += suite.passed + suite.failed + suite.skipped + suite.other;
    run.durationSec = round(run.durationSec + suite.durationSec);
    const executedAt = later(run.executedAt, suite.executedAt);
    if (executedAt) run.executedAt = executedAt;
    byType.set(suiteType, run);
  }
  return [...byType.values()];
}

/** The later of two ISO-8601 UTC times (same format: they sort as text). */
function later(a?: string, b?: string): string | undefined {
  if (!a || !b) return a ?? b;
  return a > b ? a : b;
}

/** Milliseconds precision: sums of float seconds otherwise drift. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
