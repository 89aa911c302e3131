/**
 * Large JUnit reports in the exact form real tools write them, for the
 * parser's timing and the route's end-to-end tests. The small checked-in
 * samples (src/reports/__fixtures__) show one file of each tool; these
 * repeat that form for hundreds of suites.
 */

/** What kind of tests a suite holds: the mapping tests type them by it. */
export type SuiteKind = 'unit' | 'integration' | 'smoke';

/** A generated suite and the counts its cases add up to. */
export interface GeneratedSuite {
  name: string;
  kind: SuiteKind;
  passed: number;
  /** Cases with a `<failure>` or an `<error>`. */
  failed: number;
  skipped: number;
  /** The suite's `time` in seconds, as written (three decimals). */
  time: number;
}

export interface GeneratedReport {
  xml: string;
  suites: GeneratedSuite[];
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped';

const MODULES = ['billing', 'checkout', 'catalog', 'search', 'accounts'];
const NOUNS = ['Invoice', 'Cart', 'Price', 'Query', 'Session', 'Ledger'];

/**
 * Suite `i` of a report: every fifth an integration suite, the one after it
 * a smoke suite, the rest unit suites; 3 to 6 cases, a failure in every
 * 7th suite, an error in every 13th, a skipped case in every 11th.
 */
function suiteShape(i: number) {
  const kinds: SuiteKind[] = ['integration', 'smoke', 'unit', 'unit', 'unit'];
  const outcomes: Outcome[] = [
    ...(i % 7 === 0 ? ['failure' as const] : []),
    ...(i % 13 === 0 ? ['error' as const] : []),
    ...(i % 11 === 0 ? ['skipped' as const] : []),
  ];
  while (outcomes.length < 3 + (i % 4)) outcomes.push('passed');
  const times = outcomes.map((_, j) => ((i * 7 + j * 3) % 50) / 1000);
  return {
    kind: kinds[i % kinds.length],
    module: MODULES[i % MODULES.length],
    noun: NOUNS[i % NOUNS.length],
    outcomes,
    times,
    time: Math.round(times.reduce((a, b) => a + b, 0) * 1000) / 1000,
  };
}

function summary(
  name: string,
  shape: ReturnType<typeof suiteShape>,
): GeneratedSuite {
  const count = (...of: Outcome[]) =>
    shape.outcomes.filter(o => of.includes(o)).length;
  return {
    name,
    kind: shape.kind,
    passed: count('passed'),
    failed: count('failure', 'error'),
    skipped: count('skipped'),
    time: shape.time,
  };
}

const SUREFIRE_PROPERTIES = [
  ['java.specification.version', '17'],
  ['java.vm.vendor', 'Eclipse Adoptium'],
  ['os.name', 'Linux'],
  ['java.version', '17.0.10'],
  ['file.encoding', 'UTF-8'],
]
  .map(([name, value]) => `    <property name="${name}" value="${value}"/>`)
  .join('\n');

/** A Surefire 3 test case, as StatelessXmlReporter writes it. */
function surefireCase(
  className: string,
  j: number,
  outcome: Outcome,
  time: number,
) {
  const open = `  <testcase name="case${j}" classname="${className}" time="${time}"`;
  const trace = (type: string, message: string) => `${type}: ${message}
\tat com.example.support.Assertions.check(Assertions.java:31)
\tat ${className}.case${j}(${className.split('.').pop()}.java:${40 + j})
`;
  switch (outcome) {
    case 'failure':
      return `${open}>
    <failure message="expected: &lt;200&gt; but was: &lt;500&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[${trace(
      'org.opentest4j.AssertionFailedError',
      'expected: <200> but was: <500>',
    )}]]></failure>
    <system-out><![CDATA[10:15:02.123 [main] WARN  c.e.Client - status 500 from upstream
]]></system-out>
  </testcase>`;
    case 'error':
      return `${open}>
    <error message="Connection refused" type="java.net.ConnectException"><![CDATA[${trace(
      'java.net.ConnectException',
      'Connection refused',
    )}]]></error>
  </testcase>`;
    case 'skipped':
      return `${open}>
    <skipped message="not released yet"/>
  </testcase>`;
    default:
      return `${open}/>`;
  }
}

/**
 * `count` test classes as Maven Surefire 3 writes them, one
 * `TEST-<class>.xml` each, merged under `<testsuites>` as CI upload steps
 * (junit-report-merger, a `cat` of the files' bodies) send them.
 */
export function surefireReport(count: number): GeneratedReport {
  const suites: GeneratedSuite[] = [];
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const shape = suiteShape(i);
    const className = {
      unit: `com.example.${shape.module}.${shape.noun}${i}Test`,
      integration: `com.example.${shape.module}.${shape.noun}${i}IT`,
      smoke: `com.example.smoke.${shape.noun}${i}SmokeTest`,
    }[shape.kind];
    const suite = summary(className, shape);
    suites.push(suite);
    const errors = shape.outcomes.filter(o => o === 'error').length;
    bodies.push(`<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd" version="3.0" name="${className}" time="${
      shape.time
    }" tests="${shape.outcomes.length}" errors="${errors}" skipped="${
      suite.skipped
    }" failures="${suite.failed - errors}">
  <properties>
${SUREFIRE_PROPERTIES}
  </properties>
${shape.outcomes
  .map((o, j) => surefireCase(className, j, o, shape.times[j]))
  .join('\n')}
</testsuite>`);
  }
  return {
    xml: `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${bodies.join(
      '\n',
    )}\n</testsuites>\n`,
    suites,
  };
}

/** A jest-junit 16 test case (its `classname` and `name` are the title). */
function jestCase(title: string, file: string, outcome: Outcome, time: number) {
  const open = `    <testcase classname="${title}" name="${title}" time="${time}">`;
  switch (outcome) {
    case 'failure':
      return `${open}
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 200
Received: 500
    at Object.&lt;anonymous&gt; (/builds/shop/web/${file}:12:21)</failure>
    </testcase>`;
    case 'error':
      return `${open}
      <error>TypeError: Cannot read properties of undefined (reading &apos;id&apos;)
    at /builds/shop/web/${file}:30:7</error>
    </testcase>`;
    case 'skipped':
      return `${open}
      <skipped/>
    </testcase>`;
    default:
      return `${open}
    </testcase>`;
  }
}

/**
 * `count` test files as jest-junit 16 writes them with
 * `usePathForSuiteName`: one `<testsuite>` per file, named by its path,
 * timestamped without a zone a second apart from 2026-02-24T09:00:00.
 */
export function jestJunitReport(count: number): GeneratedReport {
  const suites: GeneratedSuite[] = [];
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const shape = suiteShape(i);
    const noun = shape.noun.toLowerCase();
    const file = {
      unit: `src/${shape.module}/${noun}${i}.test.js`,
      integration: `e2e/${shape.module}/${noun}${i}.e2e.test.js`,
      smoke: `smoke/${noun}${i}.smoke.test.js`,
    }[shape.kind];
    const suite = summary(file, shape);
    suites.push(suite);
    const errors = shape.outcomes.filter(o => o === 'error').length;
    const timestamp = new Date(Date.UTC(2026, 1, 24, 9, 0, i))
      .toISOString()
      .slice(0, 19);
    bodies.push(`  <testsuite name="${file}" errors="${errors}" failures="${
      suite.failed - errors
    }" skipped="${suite.skipped}" timestamp="${timestamp}" time="${
      shape.time
    }" tests="${shape.outcomes.length}">
${shape.outcomes
  .map((o, j) => jestCase(`${noun} case ${j}`, file, o, shape.times[j]))
  .join('\n')}
  </testsuite>`);
  }
  const all = suites.map((_, i) => suiteShape(i).outcomes).flat();
  const time = suites.reduce((sum, s) => sum + s.time, 0).toFixed(3);
  return {
    xml: `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="${all.length}" failures="${
      all.filter(o => o === 'failure').length
    }" errors="${all.filter(o => o === 'error').length}" time="${time}">
${bodies.join('\n')}
</testsuites>
`,
    suites,
  };
}
