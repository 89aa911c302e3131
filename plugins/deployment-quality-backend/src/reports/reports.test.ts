import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  GeneratedReport,
  jestJunitReport,
  surefireReport,
} from '../__testUtils__/testReports';
import { MAX_LISTED_PROBLEMS } from '../ingestion/problems';
import { parseCtrf } from './ctrf';
import { MAX_XML_DEPTH, parseJunit } from './junit';
import { ParsedReport, SuiteResult, testResultPayloads } from './suites';

const read = (name: string) =>
  readFileSync(resolve(__dirname, '__fixtures__', name), 'utf8');

/** The suites' counts, without their cases (reports/testCases.test.ts reads those). */
const counts = (report: ParsedReport): ParsedReport =>
  report.ok
    ? { ok: true, suites: report.suites.map(({ cases: _, ...suite }) => suite) }
    : report;

const TARGET = { attemptId: 'mira-us-west-2:authn:3.4.3:7' };

describe('parseJunit', () => {
  it('reads a root <testsuite> without <testsuites>, counting a case with an error and a failure once', () => {
    expect(
      counts(
        parseJunit(read('junit.pytest-error-failure.jenkins-junit-plugin.xml')),
      ),
    ).toEqual({
      ok: true,
      suites: [
        {
          name: 'pytest',
          passed: 0,
          failed: 1,
          skipped: 0,
          other: 0,
          durationSec: 0.016,
          executedAt: '2008-07-03T15:42:30.000Z',
        },
      ],
    });
  });

  it('reads <testsuites>, and suites that only count', () => {
    const xml = `<testsuites>
      <testsuite name="api" time="3.5" timestamp="2026-02-24T09:00:00+01:00">
        <testcase name="a"/><testcase name="b"><skipped/></testcase><testcase name="c"/>
      </testsuite>
      <testsuite name="ui" tests="10" failures="2" errors="1" skipped="1" time="7"/>
    </testsuites>`;
    expect(counts(parseJunit(xml))).toEqual({
      ok: true,
      suites: [
        {
          name: 'api',
          passed: 2,
          failed: 0,
          skipped: 1,
          other: 0,
          durationSec: 3.5,
          executedAt: '2026-02-24T08:00:00.000Z',
        },
        {
          name: 'ui',
          passed: 6,
          failed: 3,
          skipped: 1,
          other: 0,
          durationSec: 7,
        },
      ],
    });
  });

  it('refuses malformed XML, other roots and nesting beyond the limit', () => {
    expect(parseJunit('<testsuite name="x">')).toMatchObject({
      ok: false,
      problems: [{ message: expect.stringContaining('not well-formed XML') }],
    });
    expect(parseJunit('<report/>')).toEqual({
      ok: false,
      problems: [
        { path: '(root)', message: 'expected <testsuites> or <testsuite>' },
      ],
    });
    const nest = (depth: number) =>
      `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
    expect(parseJunit(nest(MAX_XML_DEPTH))).toMatchObject({
      problems: [{ message: 'expected <testsuites> or <testsuite>' }],
    });
    expect(parseJunit(nest(MAX_XML_DEPTH + 1))).toEqual({
      ok: false,
      problems: [{ path: '(root)', message: 'Maximum nested tags exceeded' }],
    });
  });

  it('reads a Maven Surefire 3 report: a flaky test that passed on a rerun passed', () => {
    expect(
      counts(
        parseJunit(
          read(
            'junit.surefire-3.TEST-com.example.checkout.CartServiceTest.xml',
          ),
        ),
      ),
    ).toEqual({
      ok: true,
      suites: [
        {
          name: 'com.example.checkout.CartServiceTest',
          passed: 3,
          failed: 2,
          skipped: 1,
          other: 0,
          durationSec: 0.187,
        },
      ],
    });
  });

  it('reads a jest-junit report, a suite per test file', () => {
    expect(counts(parseJunit(read('junit.jest-junit-16.xml')))).toEqual({
      ok: true,
      suites: [
        {
          name: 'src/cart/cart.test.js',
          passed: 2,
          failed: 1,
          skipped: 1,
          other: 0,
          durationSec: 1.204,
          executedAt: '2026-02-24T09:00:00.000Z',
        },
        {
          name: 'src/search/search.test.js',
          passed: 2,
          failed: 0,
          skipped: 0,
          other: 0,
          durationSec: 0.881,
          executedAt: '2026-02-24T09:00:01.000Z',
        },
        {
          name: 'e2e/checkout.e2e.test.js',
          passed: 0,
          failed: 1,
          skipped: 0,
          other: 0,
          durationSec: 1.327,
          executedAt: '2026-02-24T09:00:02.000Z',
        },
      ],
    });
  });

  it.each([
    ['Surefire', surefireReport],
    ['jest-junit', jestJunitReport],
  ])('reads every suite of a 600-suite %s report', (_, generate) => {
    const { xml, suites }: GeneratedReport = generate(600);
    const parsed = parseJunit(xml);
    expect(parsed.ok && parsed.suites.map(countsOf)).toEqual(
      suites.map(s => ({
        name: s.name,
        passed: s.passed,
        failed: s.failed,
        skipped: s.skipped,
        durationSec: s.time,
      })),
    );
  });

  it('counts a case without attributes or children as passed', () => {
    const parsed = parseJunit(
      '<testsuite name="s"><testcase/><testcase></testcase><testcase><skipped/></testcase></testsuite>',
    );
    expect(parsed.ok && countsOf(parsed.suites[0])).toEqual({
      name: 's',
      passed: 2,
      failed: 0,
      skipped: 1,
      durationSec: 0,
    });
  });

  it('does not expand entities', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "${'y'.repeat(
      10,
    )}">]>
      <testsuite name="&x;" tests="1"/>`;
    const parsed = parseJunit(xml);
    expect(parsed.ok && parsed.suites[0].name).toBe('&x;');
  });
});

describe('parseJunit time', () => {
  /**
   * Milliseconds of this process's CPU time, the least of three runs: other
   * processes on a loaded machine don't count, GC pauses count least.
   */
  const cpuMs = (xml: string) => {
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const start = process.cpuUsage();
      expect(parseJunit(xml).ok).toBe(true);
      const { user, system } = process.cpuUsage(start);
      best = Math.min(best, (user + system) / 1000);
    }
    return best;
  };
  const MIB = 1024 * 1024;
  /**
   * One suite of cases that all errored (a backend down under a
   * data-driven test), 29 bytes a case: as many cases as `bytes` can hold.
   */
  const erroring = (bytes: number) =>
    `<testsuites><testsuite name="big">${'<testcase><error/></testcase>'.repeat(
      Math.floor(bytes / 29),
    )}</testsuite></testsuites>`;

  it('parses a 1 MiB Surefire report well within a second', () => {
    let count = 700;
    while (surefireReport(count).xml.length < MIB) count += 100;
    expect(cpuMs(surefireReport(count).xml)).toBeLessThan(1000);
  });

  it('takes time linear in the number of cases', () => {
    const small = erroring(MIB / 2);
    const large = erroring(4 * MIB);
    cpuMs(small); // warms the JIT up
    // 8 times the cases: 8 times the time if linear (7 to 9 measured), 64
    // if quadratic (19 to 33 with the former per-case scan of the failed).
    expect(cpuMs(large) / cpuMs(small)).toBeLessThan(12);
  });
});

describe('parseCtrf', () => {
  it('reads the minimal report as one suite named by the tool', () => {
    expect(counts(parseCtrf(JSON.parse(read('ctrf.minimal.json'))))).toEqual({
      ok: true,
      suites: [
        {
          name: 'example-runner',
          passed: 1,
          failed: 0,
          skipped: 0,
          other: 0,
          durationSec: 0.1,
          executedAt: '2021-01-01T00:00:01.000Z',
        },
      ],
    });
  });

  it('groups the comprehensive report by top-level suite', () => {
    const parsed = parseCtrf(JSON.parse(read('ctrf.comprehensive.json')));
    expect(
      parsed.ok && parsed.suites.map(s => [s.name, s.passed, s.failed]),
    ).toEqual([
      ['Authentication', 1, 0],
      ['Checkout', 1, 0],
      ['Admin', 0, 1],
    ]);
  });

  it('lists the problems of a body that is no CTRF report', () => {
    expect(parseCtrf({ results: {} })).toEqual({
      ok: false,
      problems: [
        { path: 'results.tests', message: 'is required (a CTRF report)' },
      ],
    });
    expect(
      parseCtrf({ results: { tests: [{ name: 'a', status: 'weird' }] } }),
    ).toEqual({
      ok: false,
      problems: [
        {
          path: 'results.tests[0].status',
          message: 'must be one of passed, failed, skipped, pending, other',
        },
      ],
    });
  });

  it('lists the first problems of a large invalid report, and counts them all', () => {
    const tests = Array.from({ length: 50_000 }, () => ({}));
    const parsed = parseCtrf({ results: { tests } });
    expect(parsed).toEqual({
      ok: false,
      problems: tests.slice(0, MAX_LISTED_PROBLEMS).map((_, i) => ({
        path: `results.tests[${i}].status`,
        message: expect.stringContaining('must be one of'),
      })),
      problemCount: 50_000,
    });
  });

  it("refuses statuses named after Object's properties", () => {
    const statuses = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    expect(
      parseCtrf({
        results: { tests: statuses.map(status => ({ name: 't', status })) },
      }),
    ).toEqual({
      ok: false,
      problems: statuses.map((_, i) => ({
        path: `results.tests[${i}].status`,
        message: expect.stringContaining('must be one of'),
      })),
    });
  });
});

describe('testResultPayloads', () => {
  it('types suites as told, adding up suites of one type and leaving an undated run undated', () => {
    const suites = [
      {
        name: 'api',
        passed: 2,
        failed: 0,
        skipped: 1,
        other: 0,
        durationSec: 1.1,
        executedAt: '2026-02-24T09:00:00.000Z',
      },
      {
        name: 'api-slow',
        passed: 1,
        failed: 1,
        skipped: 0,
        other: 1,
        durationSec: 2.2,
        executedAt: '2026-02-24T09:30:00.000Z',
      },
      {
        name: 'smoke tests',
        passed: 1,
        failed: 0,
        skipped: 0,
        other: 0,
        durationSec: 0,
      },
    ];
    const typeOf = (name: string) =>
      name.startsWith('api') ? 'FUNCTIONAL' : 'SANITY';
    expect(
      testResultPayloads(suites, TARGET, typeOf, 'https://ci.example.com/1'),
    ).toEqual([
      {
        ...TARGET,
        suiteType: 'FUNCTIONAL',
        total: 6,
        passed: 3,
        failed: 1,
        skipped: 1,
        durationSec: 3.3,
        executedAt: '2026-02-24T09:30:00.000Z',
        reportUrl: 'https://ci.example.com/1',
      },
      {
        ...TARGET,
        suiteType: 'SANITY',
        total: 1,
        passed: 1,
        failed: 0,
        skipped: 0,
        durationSec: 0,
        // Undated: the receipt default dates it, after the event id is derived.
        reportUrl: 'https://ci.example.com/1',
      },
    ]);
  });
});

/** A suite's name and counts, without what a report may or may not say. */
function countsOf(suite: SuiteResult) {
  const { name, passed, failed, skipped, durationSec } = suite;
  return { name, passed, failed, skipped, durationSec };
}
