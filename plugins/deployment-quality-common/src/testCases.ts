import { z } from 'zod';
import { analyticsQuerySchema } from './analytics';

/** Runs of a test shown as its history, at most. @public */
export const TEST_HISTORY_LIMIT = 100;
/** Flaky tests listed per service, at most (the flakiest first). @public */
export const FLAKY_TESTS_LIMIT = 200;
/** Runs that prove a test flaky, listed per test, at most. @public */
export const FLAKY_EVIDENCE_LIMIT = 5;

/** Query of a service's flaky tests. @public */
export const flakyTestsQuerySchema = analyticsQuerySchema.pick({
  from: true,
  to: true,
});
/** @public */
export type FlakyTestsQuery = z.input<typeof flakyTestsQuerySchema>;

/** Query of one test's history. @public */
export const testHistoryQuerySchema = flakyTestsQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(TEST_HISTORY_LIMIT).default(30),
});
/** @public */
export type TestHistoryQuery = Omit<
  z.input<typeof testHistoryQuerySchema>,
  'limit'
> & { limit?: number };

/** A test case, by the names its reports give it. @public */
export type TestCaseRef = {
  /** Stable id of the test (its suite, class and name). */
  caseId: string;
  suite: string;
  /** The class (JUnit) or the suite path or file (CTRF); '' when none. */
  className: string;
  name: string;
};

/** Why a run shows a test flaky. @public */
export type FlakyEvidenceKind = 'retry' | 'rerun' | 'flip';

/** One run that shows a test flaky. @public */
export type FlakyEvidence = {
  kind: FlakyEvidenceKind;
  attemptId: string | null;
  clusterId: string | null;
  buildVersion: string | null;
  executedAt: string;
  /** The failure's signature, when it said what failed. */
  signature: string | null;
};

/** A flaky test of a service. @public */
export type FlakyTest = TestCaseRef & {
  suiteType: string;
  /** Runs of the test in the window. */
  runs: number;
  /** Of those, the runs that failed (or needed a retry) but are flaky. */
  flakyRuns: number;
  /** flakyRuns ÷ runs. */
  flakeRate: number;
  firstSeen: string;
  lastSeen: string;
  /** The latest runs that prove it, newest first. */
  evidence: FlakyEvidence[];
};

/** `GET /entities/…/tests/flaky`. @public */
export type FlakyTestsResponse = {
  filter: { serviceId: string; from: string; to: string; flipWindow: number };
  /** Flakiest first (flake rate, then flaky runs, then name). */
  tests: FlakyTest[];
  /** Flaky tests beyond the listed ones. */
  truncated: boolean;
  /**
   * The service's change failure rate over the window, and without the
   * failures only flaky or quarantined tests caused.
   */
  changeFailures: {
    failures: number;
    finished: number;
    rate: number | null;
    testNoise: number;
    rateWithoutTestNoise: number | null;
    /** Those failures, latest first (at most 20). */
    noise: Array<{
      attemptId: string;
      clusterId: string;
      buildVersion: string;
      status: string;
      endedAt: string;
      /** The failed tests, all flaky or quarantined. */
      tests: string[];
    }>;
  };
  definitions: Record<keyof typeof FLAKY_DEFINITIONS, string>;
};

/** One run of a test. @public */
export type TestRunOutcome = {
  attemptId: string | null;
  clusterId: string | null;
  buildVersion: string | null;
  suiteType: string;
  executedAt: string;
  status: 'passed' | 'failed' | 'skipped' | 'other';
  durationMs: number;
  retries: number;
  /** Set when the run counts as flaky (see the flaky definitions). */
  flaky: FlakyEvidenceKind | null;
  message: string | null;
  signature: string | null;
};

/** A failure signature of a test, with how often it occurred. @public */
export type TestFailureSignature = {
  signature: string;
  runs: number;
  lastSeen: string;
  /** The latest message that had it. */
  message: string | null;
};

/** `GET /entities/…/tests/cases/{caseId}`. @public */
export type TestHistoryResponse = {
  filter: { serviceId: string; from: string; to: string; limit: number };
  test: TestCaseRef;
  /** Runs in the window, newest first, at most `limit`. */
  outcomes: TestRunOutcome[];
  /** Every failure signature of the window's runs, most frequent first. */
  signatures: TestFailureSignature[];
};

/** How flaky tests are found, served with them. @public */
export const FLAKY_DEFINITIONS = {
  flaky:
    'A test is flaky when, in the window, a run of it failed and then passed on a retry within the same report (retry); or it failed in one run and passed in another of the same attempt (rerun); or it failed and passed within flipWindow consecutive runs of it on the same build version of the service, on any cluster-region (flip). A test that fails on every run of a version is not flaky.',
  flakeRate:
    'flakyRuns ÷ runs: the runs of the window in which the test failed or needed a retry and which the rule above calls flaky, over every run of it in the window.',
  signature:
    "The failure message's first line with URLs, timestamps, UUIDs, paths, hex and numbers replaced by placeholders, so one failure recurring with other values is one signature.",
  changeFailureRateWithoutTestNoise:
    'The change failure rate of the analytics ((FAILED + ROLLBACK) / finished attempts that ended in the window), and the same without test noise: the failed attempts whose test runs had failed tests, every one of them flaky in the window or quarantined, count as finished but not as failures.',
} as const;

/** A quarantined test of a service: its failures don't fail a gate. @public */
export type QuarantinedTest = {
  /** Null while no report of the service has named the test. */
  caseId: string | null;
  suite: string;
  className: string;
  name: string;
  reason: string;
  /** `config` entries can only be lifted in app-config. */
  source: 'config' | 'ui';
  /** The user who quarantined it (null for config). */
  addedBy: string | null;
  addedAt: string | null;
};

/** `GET /entities/…/tests/quarantine`. @public */
export type QuarantineResponse = {
  serviceId: string;
  tests: QuarantinedTest[];
  /** Whether the caller may quarantine tests and lift quarantines. */
  canManage: boolean;
};

/** Body of `PUT /entities/…/tests/quarantine/{caseId}`. @public */
export const quarantineRequestSchema = z.object({
  reason: z.string().trim().min(1).max(500),
});
/** @public */
export type QuarantineRequest = z.input<typeof quarantineRequestSchema>;

/** Signatures listed by `GET /tests/signatures`, at most. @public */
export const FAILURE_SIGNATURES_LIMIT = 50;
/** Occurrences listed by `GET /tests/signatures/{signatureId}`, at most. @public */
export const SIGNATURE_OCCURRENCES_LIMIT = 100;

/** Query of the fleet's failure signatures. @public */
export const failureSignaturesQuerySchema = flakyTestsQuerySchema.extend({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(FAILURE_SIGNATURES_LIMIT)
    .default(20),
});
/** @public */
export type FailureSignaturesQuery = Omit<
  z.input<typeof failureSignaturesQuerySchema>,
  'limit'
> & { limit?: number };

/** A failure signature across the fleet. @public */
export type FleetFailureSignature = {
  signatureId: string;
  signature: string;
  /** Distinct attempts with a test failing this way (by build when unknown). */
  attempts: number;
  services: number;
  clusters: number;
  /** Failed test runs with it. */
  failures: number;
  /** Distinct tests failing this way. */
  tests: number;
  lastSeen: string;
  /** The services most affected, by attempts (at most 5). */
  topServices: Array<{ serviceId: string; attempts: number }>;
};

/** `GET /tests/signatures`. @public */
export type FailureSignaturesResponse = {
  filter: { from: string; to: string; limit: number };
  /** By attempts affected, then failures, then the signature. */
  signatures: FleetFailureSignature[];
};

/** One failure with a signature. @public */
export type SignatureOccurrence = TestCaseRef & {
  serviceId: string;
  clusterId: string | null;
  attemptId: string | null;
  buildVersion: string | null;
  executedAt: string;
  message: string | null;
};

/** `GET /tests/signatures/{signatureId}`. @public */
export type SignatureOccurrencesResponse = {
  filter: { from: string; to: string };
  signatureId: string;
  signature: string;
  /** Newest first, at most 100. */
  occurrences: SignatureOccurrence[];
};
