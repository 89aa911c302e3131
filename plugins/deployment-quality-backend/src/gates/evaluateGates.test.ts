import { Attempt } from '@deployment-quality/plugin-deployment-quality-common';
import { evaluateGates } from './evaluateGates';

const attempt: Attempt = {
  id: 'c:s:1.0.0:1',
  clusterId: 'c',
  serviceId: 's',
  buildVersion: '1.0.0',
  gitSha: 'abcd',
  startedAt: '2026-02-24T09:00:00.000Z',
  endedAt: '2026-02-24T09:10:00.000Z',
  status: 'SUCCESS',
  trigger: 'merge',
  source: 'test',
};
const policy = { requiredSuites: ['SANITY'], minPassRate: { default: 100 } };
const gate = (passed: number, total: number) => ({
  passed,
  total,
  failed: total - passed,
  skipped: 0,
});

describe('evaluateGates', () => {
  it('passes a successful attempt whose suites all meet their thresholds', () => {
    const result = evaluateGates(attempt, { sanity: gate(30, 30) }, policy);
    expect(result.passed).toBe(true);
    expect(result.reasons).toEqual([]);
  });

  it('fails on the deployment status, a missing suite, a low rate and an empty run', () => {
    const result = evaluateGates(
      { ...attempt, status: 'ROLLBACK' },
      { functional: gate(99, 100), custom_e2e: gate(0, 0) },
      {
        requiredSuites: ['SANITY'],
        minPassRate: { default: 100, FUNCTIONAL: 99.5 },
      },
    );
    expect(result.passed).toBe(false);
    expect(result.missing).toEqual(['SANITY']);
    expect(
      result.suites.map(s => [s.suite, s.passRate, s.threshold, s.ok]),
    ).toEqual([
      ['CUSTOM_E2E', null, 100, false],
      ['FUNCTIONAL', 99, 99.5, false],
    ]);
    expect(result.reasons).toEqual([
      'the deployment is ROLLBACK, not SUCCESS or LIVE',
      'FUNCTIONAL pass rate 99 % is below 99.5 %',
      'CUSTOM_E2E ran no tests (threshold 100 %)',
      'required suite SANITY has not run',
    ]);
  });
});
