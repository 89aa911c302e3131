import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCtrf } from './ctrf';
import { MAX_XML_DEPTH, parseJunit } from './junit';
import { testResultPayloads } from './suites';

const read = (name: string) =>
  readFileSync(resolve(__dirname, '__fixtures__', name), 'utf8');

const TARGET = { attemptId: 'mira-us-west-2:authn:3.4.3:7' };

describe('parseJunit', () => {
  it('reads a root <testsuite> without <testsuites>, counting a case with an error and a failure once', () => {
    expect(
      parseJunit(read('junit.pytest-error-failure.jenkins-junit-plugin.xml')),
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
    expect(parseJunit(xml)).toEqual({
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

  it('does not expand entities', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "${'y'.repeat(
      10,
    )}">]>
      <testsuite name="&x;" tests="1"/>`;
    const parsed = parseJunit(xml);
    expect(parsed.ok && parsed.suites[0].name).toBe('&x;');
  });
});

describe('parseCtrf', () => {
  it('reads the minimal report as one suite named by the tool', () => {
    expect(parseCtrf(JSON.parse(read('ctrf.minimal.json')))).toEqual({
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
  it('types suites by the configured names, else by name, adding up suites of one type and leaving an undated run undated', () => {
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
    const types = new Map([
      ['api', 'FUNCTIONAL'],
      ['api-slow', 'FUNCTIONAL'],
    ]);
    expect(
      testResultPayloads(suites, TARGET, types, 'https://ci.example.com/1'),
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
        suiteType: 'SMOKE_TESTS',
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
