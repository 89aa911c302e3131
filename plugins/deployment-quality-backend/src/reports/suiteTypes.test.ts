import { ConfigReader } from '@backstage/config';
import { readDeploymentQualityConfig } from '../config';
import { globMatches, suiteTyper } from './suiteTypes';

describe('globMatches', () => {
  it.each([
    ['*IT', 'com.example.billing.InvoiceIT', true],
    ['*IT', 'com.example.billing.InvoiceITest', false],
    ['com.example.smoke.*', 'com.example.smoke.LoginSmokeTest', true],
    ['com.example.smoke.*', 'com.example.smoke.sub.PingTest', true],
    ['com.example.smoke.*', 'com.example.smokey.PingTest', false],
    ['e2e/*', 'e2e/checkout/cart.e2e.test.js', true],
    ['e2e/*', 'src/e2e/cart.test.js', false],
    ['*/smoke/*.test.js', 'web/smoke/ping.test.js', true],
    ['api-?', 'api-1', true],
    ['api-?', 'api-12', false],
    ['pytest', 'pytest', true],
    ['pytest', 'Pytest', false],
    ['*', '', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
  ])('%p on %p: %p', (pattern, name, matches) => {
    expect(globMatches(pattern, name)).toBe(matches);
  });

  it('takes a long name and a pattern of many stars in linear time', () => {
    // A regular expression /^.*a.*a.*a.*b$/ backtracks cubically on this.
    const name = 'a'.repeat(200_000);
    const start = performance.now();
    expect(globMatches('*a*a*a*b', name)).toBe(false);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('suiteTyper', () => {
  const typeOf = suiteTyper(
    [
      { name: 'pytest', suiteType: 'FUNCTIONAL' },
      { pattern: '*SmokeTest', suiteType: 'SANITY' },
      { pattern: 'com.example.*', suiteType: 'REGRESSION' },
    ],
    'FALLBACK',
  );

  it('takes the first rule naming or matching a suite, else the fallback', () => {
    expect(typeOf('pytest')).toBe('FUNCTIONAL');
    expect(typeOf('com.example.smoke.LoginSmokeTest')).toBe('SANITY');
    expect(typeOf('com.example.billing.InvoiceTest')).toBe('REGRESSION');
    expect(typeOf('src/cart.test.js')).toBe('FALLBACK');
  });
});

describe('ingestion.testReports config', () => {
  const read = (testReports?: object) =>
    readDeploymentQualityConfig(
      new ConfigReader({
        deploymentQuality: { ingestion: { testReports } },
      }),
    ).testReports;

  it('reads names and patterns in order, upper-casing suite types; FUNCTIONAL by default', () => {
    expect(read()).toEqual({
      suites: [],
      defaultSuiteType: 'FUNCTIONAL',
      flakyFlipWindow: 5,
    });
    expect(
      read({
        suites: [
          { name: 'pytest', suiteType: 'functional' },
          { pattern: '*IT', suiteType: 'Regression' },
        ],
        defaultSuiteType: 'unit',
        flakyFlipWindow: 3,
      }),
    ).toEqual({
      suites: [
        { name: 'pytest', suiteType: 'FUNCTIONAL' },
        { pattern: '*IT', suiteType: 'REGRESSION' },
      ],
      defaultSuiteType: 'UNIT',
      flakyFlipWindow: 3,
    });
  });

  it('refuses an entry with both or neither of name and pattern, and suite types the contract refuses', () => {
    expect(() =>
      read({ suites: [{ name: 'a', pattern: 'b*', suiteType: 'SANITY' }] }),
    ).toThrow(
      'deploymentQuality.ingestion.testReports.suites[0] must have either name or pattern',
    );
    expect(() => read({ suites: [{ suiteType: 'SANITY' }] })).toThrow(
      'must have either name or pattern',
    );
    expect(() =>
      read({ suites: [{ name: 'a', suiteType: 'smoke tests' }] }),
    ).toThrow(
      'deploymentQuality.ingestion.testReports.suites[0].suiteType: suiteType must be an upper-case name',
    );
    expect(() => read({ defaultSuiteType: '2nd' })).toThrow(
      'deploymentQuality.ingestion.testReports.defaultSuiteType',
    );
    for (const flakyFlipWindow of [1, 51, 2.5]) {
      expect(() => read({ flakyFlipWindow })).toThrow(
        'deploymentQuality.ingestion.testReports.flakyFlipWindow must be a whole number from 2 to 50',
      );
    }
  });
});
