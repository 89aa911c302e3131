import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ParsedReport, SuiteResult } from './suites';

/** Deepest element nesting accepted; JUnit reports need about five. */
export const MAX_XML_DEPTH = 32;

type Node = Record<string, unknown>;

/**
 * Elements whose presence is all a case's outcome needs, and the bulk of a
 * real report (stack traces, captured output, Surefire's JVM properties):
 * kept as unparsed text, which parses Surefire reports about three times
 * faster. Their well-formedness is still checked, by the validator.
 */
const UNREAD = [
  'properties',
  'system-out',
  'system-err',
  'failure',
  'error',
  'skipped',
];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Entities are never expanded: no billion-laughs, and only attributes are read.
  processEntities: false,
  // Text is never read as a number: nothing reads text.
  parseTagValue: false,
  // The parser's stack starts with the document node, one level above the root.
  maxNestedTags: MAX_XML_DEPTH - 1,
  isArray: name => name === 'testsuite' || name === 'testcase',
  stopNodes: UNREAD.map(name => `*.${name}`),
});

/** The elements of a list; one without attributes or children parses as text. */
const asArray = (v: unknown): Node[] =>
  (Array.isArray(v) ? v : []).map(n =>
    typeof n === 'object' && n !== null ? (n as Node) : {},
  );

function attribute(node: Node, name: string): number {
  const n = Number(node[`@${name}`]);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/**
 * JUnit timestamps usually carry no zone (`2008-07-03T15:42:30`): read as UTC,
 * as the CI machines writing them mostly run in UTC.
 */
function timestampOf(node: Node): string | undefined {
  const raw = node['@timestamp'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * A suite from its test cases when it lists them (a case with a failure or
 * an error failed once, even with both), else from its counting attributes.
 */
function suiteOf(node: Node): SuiteResult {
  const cases = asArray(node.testcase);
  const name = typeof node['@name'] === 'string' ? node['@name'] : 'junit';
  const executedAt = timestampOf(node);
  const common = { name, other: 0, ...(executedAt ? { executedAt } : {}) };
  if (cases.length === 0) {
    const failed = attribute(node, 'failures') + attribute(node, 'errors');
    const skipped = attribute(node, 'skipped') + attribute(node, 'disabled');
    return {
      ...common,
      failed,
      skipped,
      passed: Math.max(0, attribute(node, 'tests') - failed - skipped),
      durationSec: attribute(node, 'time'),
    };
  }
  // One pass over the cases: a suite may hold tens of thousands.
  let failed = 0;
  let skipped = 0;
  let caseTime = 0;
  for (const c of cases) {
    if (c.failure !== undefined || c.error !== undefined) failed += 1;
    else if (c.skipped !== undefined) skipped += 1;
    caseTime += attribute(c, 'time');
  }
  return {
    ...common,
    failed,
    skipped,
    passed: cases.length - failed - skipped,
    durationSec:
      node['@time'] !== undefined ? attribute(node, 'time') : caseTime,
  };
}

/**
 * A JUnit XML report: `<testsuites>` of `<testsuite>`s, or a lone root
 * `<testsuite>` (pytest, the Jenkins JUnit plugin's examples). Malformed XML,
 * nesting deeper than MAX_XML_DEPTH and a root of another element are
 * problems.
 */
export function parseJunit(xml: string): ParsedReport {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return {
      ok: false,
      problems: [
        {
          path: `(root) line ${valid.err.line}`,
          message: `not well-formed XML: ${valid.err.msg}`,
        },
      ],
    };
  }
  let doc: Node;
  try {
    doc = parser.parse(xml);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: String((error as Error).message) }],
    };
  }
  const root = doc.testsuites as Node | string | undefined;
  const suites =
    root !== undefined
      ? asArray(typeof root === 'object' ? root.testsuite : [])
      : asArray(doc.testsuite);
  if (root === undefined && suites.length === 0) {
    return {
      ok: false,
      problems: [
        { path: '(root)', message: 'expected <testsuites> or <testsuite>' },
      ],
    };
  }
  return { ok: true, suites: suites.map(suiteOf) };
}
