import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  CaseResult,
  MAX_RETRIES,
  ParsedReport,
  SuiteResult,
  storable,
} from './suites';

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
  // Surefire's reruns: failed ones of a test that passed in the end
  // (flaky), and of one that failed every time.
  'flakyFailure',
  'flakyError',
  'rerunFailure',
  'rerunError',
];

const RETRIES = ['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError'];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Entities are never expanded: no billion-laughs, and only attributes are read.
  processEntities: false,
  // Text is never read as a number: nothing reads text.
  parseTagValue: false,
  // The parser's stack starts with the document node, one level above the root.
  maxNestedTags: MAX_XML_DEPTH - 1,
  isArray: name =>
    name === 'testsuite' || name === 'testcase' || RETRIES.includes(name),
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

const ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Attribute text with XML's own entities and character references read. */
function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return ENTITIES[ref] ?? whole;
    const code =
      ref[1] === 'x' || ref[1] === 'X'
        ? parseInt(ref.slice(2), 16)
        : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** What a failure element says: its message, else its text's first line. */
function messageOf(element: unknown): string | undefined {
  const node = Array.isArray(element) ? element[element.length - 1] : element;
  if (typeof node === 'string') return firstLine(node);
  if (typeof node !== 'object' || node === null) return undefined;
  const n = node as Node;
  const message = n['@message'];
  if (typeof message === 'string' && message.trim()) return unescape(message);
  return typeof n['#text'] === 'string' ? firstLine(n['#text']) : undefined;
}

function firstLine(text: string): string | undefined {
  const line = text
    .split('\n')
    .map(l => l.trim())
    .find(l => l !== '');
  return line && unescape(line.replace(/^<!\[CDATA\[/, ''));
}

function countOf(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  return v === undefined ? 0 : 1;
}

function caseOf(c: Node): CaseResult {
  const failure = c.failure ?? c.error;
  const retries = Math.min(
    MAX_RETRIES,
    RETRIES.reduce((n, name) => n + countOf(c[name]), 0),
  );
  let status: CaseResult['status'] = 'passed';
  if (failure !== undefined) status = 'failed';
  else if (c.skipped !== undefined) status = 'skipped';
  const message =
    failure !== undefined
      ? messageOf(failure)
      : messageOf(
          c.flakyFailure ?? c.flakyError ?? c.rerunFailure ?? c.rerunError,
        );
  const className = c['@classname'] ?? c['@file'];
  return {
    className:
      typeof className === 'string' ? storable(unescape(className)) : '',
    name: typeof c['@name'] === 'string' ? storable(unescape(c['@name'])) : '',
    status,
    durationMs: Math.round(attribute(c, 'time') * 1000),
    retries,
    ...(message ? { message: storable(message) } : {}),
  };
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
  const results = cases.map(c => {
    const result = caseOf(c);
    if (result.status === 'failed') failed += 1;
    else if (result.status === 'skipped') skipped += 1;
    caseTime += attribute(c, 'time');
    return result;
  });
  return {
    ...common,
    failed,
    skipped,
    passed: cases.length - failed - skipped,
    durationSec:
      node['@time'] !== undefined ? attribute(node, 'time') : caseTime,
    cases: results,
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
