import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  decodeIds,
  decodeOutcomes,
  encodeIds,
  encodeOutcomes,
  STATUS_CODES,
} from './caseEncoding';
import { parseCtrf } from './ctrf';
import { failureSignature } from './failureSignature';
import { parseJunit } from './junit';
import { CaseStatus } from './suites';

const read = (name: string) =>
  readFileSync(resolve(__dirname, '__fixtures__', name), 'utf8');

describe('test cases of a report', () => {
  it('reads JUnit cases: status, time, Surefire reruns and the message', () => {
    const report = parseJunit(`<testsuite name="api">
      <testcase classname="a.B" name="passes" time="1.5"/>
      <testcase classname="a.B" name="fails" time="0.2"><failure message="expected &lt;1&gt; &amp; got 2">trace</failure></testcase>
      <testcase classname="a.B" name="errs"><error>
        NullPointerException at B.java:12
      </error></testcase>
      <testcase classname="a.B" name="skips"><skipped/></testcase>
      <testcase classname="a.B" name="flaky"><flakyFailure message="first"/><flakyError message="second"/></testcase>
      <testcase classname="a.B" name="always"><failure message="last"/><rerunFailure message="r1"/><rerunFailure message="r2"/></testcase>
      <testcase file="t/x.py" name="pytest"/>
    </testsuite>`);
    expect(report.ok && report.suites[0].cases).toEqual([
      {
        className: 'a.B',
        name: 'passes',
        status: 'passed',
        durationMs: 1500,
        retries: 0,
      },
      {
        className: 'a.B',
        name: 'fails',
        status: 'failed',
        durationMs: 200,
        retries: 0,
        message: 'expected <1> & got 2',
      },
      {
        className: 'a.B',
        name: 'errs',
        status: 'failed',
        durationMs: 0,
        retries: 0,
        message: 'NullPointerException at B.java:12',
      },
      {
        className: 'a.B',
        name: 'skips',
        status: 'skipped',
        durationMs: 0,
        retries: 0,
      },
      {
        className: 'a.B',
        name: 'flaky',
        status: 'passed',
        durationMs: 0,
        retries: 2,
        message: 'first',
      },
      {
        className: 'a.B',
        name: 'always',
        status: 'failed',
        durationMs: 0,
        retries: 2,
        message: 'last',
      },
      {
        className: 't/x.py',
        name: 'pytest',
        status: 'passed',
        durationMs: 0,
        retries: 0,
      },
    ]);
    // The counts still come from the same cases.
    expect(report.ok && report.suites[0]).toMatchObject({
      passed: 3,
      failed: 3,
      skipped: 1,
    });
  });

  it('reads the cases of real reports', () => {
    const surefire = parseJunit(
      read('junit.surefire-3.TEST-com.example.checkout.CartServiceTest.xml'),
    );
    const cases = surefire.ok ? surefire.suites.flatMap(s => s.cases!) : [];
    expect(cases.find(c => c.status === 'failed')).toMatchObject({
      className: 'com.example.checkout.CartServiceTest',
      name: 'rejectsANegativeQuantity',
      message: 'expected: <400> but was: <200>',
    });
    const ctrf = parseCtrf(JSON.parse(read('ctrf.comprehensive.json')));
    expect(ctrf.ok && ctrf.suites.flatMap(s => s.cases)).toEqual([
      {
        className: 'Authentication › Login',
        name: 'user can login',
        status: 'passed',
        durationMs: 3500,
        retries: 0,
      },
      {
        className: 'Checkout',
        name: 'user can checkout',
        status: 'passed',
        durationMs: 5200,
        retries: 1,
        message: 'Payment gateway timeout',
      },
      {
        className: 'Admin › Dashboard',
        name: 'admin dashboard loads',
        status: 'failed',
        durationMs: 8000,
        retries: 0,
        message: 'Element not found: .dashboard-metrics',
      },
    ]);
  });

  it('gives one signature to one failure recurring with other values', () => {
    const pairs: Array<[string, string, string]> = [
      [
        'Timeout after 5012 ms waiting for http://10.0.0.7:8080/health at 2026-02-24T09:00:01Z',
        'Timeout after 4987 ms waiting for http://10.0.0.9:8080/health at 2026-02-25T11:30:00.123Z',
        'Timeout after <n> ms waiting for <url> at <time>',
      ],
      [
        'Order 5f1c2a9e-7d3b-4c1e-9a2f-0b6c8d7e1f30 not found in /var/tmp/run-17/orders.json',
        'Order 0a6c7d2e-1b3c-4d5e-8f9a-1b2c3d4e5f60 not found in /var/tmp/run-912/orders.json',
        'Order <id> not found in <path>',
      ],
      [
        'commit deadbeef42 differs from cafe00babe1 (0x7ffe12)',
        'commit 0123abcd99 differs from 775388219903 (0x1)',
        'commit <hex> differs from <hex> (<hex>)',
      ],
      [
        '\n   connection to 192.168.1.20:5432 refused after 3 retries\n  at Pool.connect',
        'connection to 192.168.1.21:5432 refused after 5 retries',
        'connection to <ip> refused after <n> retries',
      ],
    ];
    for (const [a, b, signature] of pairs) {
      expect(failureSignature(a)).toBe(signature);
      expect(failureSignature(b)).toBe(signature);
    }
    // Different words stay different failures.
    expect(failureSignature('expected 1 but was 2')).not.toBe(
      failureSignature('expected 1 but got 2'),
    );
    expect(failureSignature('x'.repeat(5000))).toHaveLength(300);
  });

  it('encodes set ids and outcomes losslessly, and small', () => {
    const ids = Array.from(
      { length: 3000 },
      (_, i) => 1_000_000 + ((i * 7919) % 3000),
    );
    expect(decodeIds(encodeIds(ids))).toEqual(ids);
    const statuses: CaseStatus[] = ['passed', 'failed', 'skipped', 'other'];
    const outcomes = ids.map((_, i) => ({
      status: statuses[[97, 31].findIndex(n => i % n === 0) + 1],
      durationMs: (i * 37) % 4000,
    }));
    const blob = encodeOutcomes(outcomes);
    const decoded = decodeOutcomes(blob);
    expect(
      [...decoded.statuses].map((code, i) => ({
        status: STATUS_CODES[code],
        durationMs: decoded.durations[i],
      })),
    ).toEqual(outcomes);
    // Under 2 bytes a test for 3,000 tests with varied durations.
    expect(blob.length).toBeLessThan(6000);
    const capped = decodeOutcomes(
      encodeOutcomes([{ status: 'other', durationMs: 2 ** 40 }]),
    );
    expect([...capped.statuses, ...capped.durations]).toEqual([3, 2 ** 30 - 1]);
  });
});
