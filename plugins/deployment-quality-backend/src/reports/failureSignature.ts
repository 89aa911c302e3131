/** Longest signature kept; a message's first line is rarely longer. */
export const MAX_SIGNATURE_LENGTH = 300;

/**
 * What varies between two occurrences of one failure, most specific first:
 * a later rule must not see the pieces of an earlier one (a timestamp's
 * digits, a URL's path).
 */
const VARIABLE: Array<[RegExp, string]> = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>)]+/gi, '<url>'],
  [
    /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g,
    '<time>',
  ],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [
    /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi,
    '<id>',
  ],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>'],
  // Unix and Windows paths with at least two segments.
  [/(?:[a-z]:)?(?:[\\/][\w.@~-]+){2,}[\\/]?/gi, '<path>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Hex runs of 6+ holding a digit and a letter, and of 8+ digits (a
  // sha's prefix may have no letter): shas, object ids.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b/gi, '<hex>'],
  [/\b\d{8,}\b/g, '<hex>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
];

/**
 * The failure's signature: its message's first non-empty line with
 * numbers, ids, hex, addresses, paths, URLs and timestamps replaced by placeholders
 * and spaces collapsed, so "Timeout after 5012 ms at 10:42:07" and
 * "Timeout after 4987 ms at 11:03:55" are one failure.
 */
export function failureSignature(message: string): string {
  const line =
    message
      .split('\n')
      .map(l => l.trim())
      .find(l => l !== '') ?? '';
  let signature = line.slice(0, 4 * MAX_SIGNATURE_LENGTH);
  for (const [pattern, placeholder] of VARIABLE) {
    signature = signature.replace(pattern, placeholder);
  }
  return signature.replace(/\s+/g, ' ').slice(0, MAX_SIGNATURE_LENGTH);
}
