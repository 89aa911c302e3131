import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SourceAuthentication } from '@deployment-quality/plugin-deployment-quality-node';
import { WebhookKey } from '../config';

export interface WebhookCredentials {
  secret?: string;
  bearer?: string;
  /** Hex digest from `X-Signature-256: sha256=<hex>`. */
  signature?: string;
}

/** Reads the three accepted credential headers. */
export function credentialsFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): WebhookCredentials {
  const one = (v: string | string[] | undefined) =>
    Array.isArray(v) ? v[0] : v;
  const auth = one(headers.authorization);
  const sig = one(headers['x-signature-256']);
  return {
    secret: one(headers['x-webhook-secret']),
    bearer: auth?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim(),
    signature: sig?.match(/^sha256=([0-9a-fA-F]{64})$/)?.[1]?.toLowerCase(),
  };
}

// Hashing both sides first gives equal-length buffers, so timingSafeEqual
// never throws and the comparison time doesn't depend on where they differ.
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function sameSignature(hex: string, body: Buffer, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The configured key that the request's credentials match, if any. Every key
 * is checked (no early exit) so timing doesn't reveal which one matched.
 */
export function authenticateWebhook(
  creds: WebhookCredentials,
  rawBody: Buffer,
  keys: WebhookKey[],
): WebhookKey | undefined {
  let match: WebhookKey | undefined;
  for (const key of keys) {
    const allows = (type: WebhookKey['type']) => !key.type || key.type === type;
    const ok =
      (allows('secret') &&
        creds.secret !== undefined &&
        sameSecret(creds.secret, key.secret)) ||
      (allows('bearer') &&
        creds.bearer !== undefined &&
        sameSecret(creds.bearer, key.secret)) ||
      (allows('hmac') &&
        creds.signature !== undefined &&
        sameSignature(creds.signature, rawBody, key.secret));
    if (ok && !match) match = key;
  }
  return match;
}

/**
 * The credentials a source adapter's scheme accepts, read from its headers,
 * for `authenticateWebhook` to check against the source's secrets: only its
 * signature header for `hmac-sha256` (a secret alone must not pass), the
 * secret, bearer key or Basic-auth password for `shared-secret`.
 */
export function sourceCredentials(
  authentication: SourceAuthentication,
  headers: Record<string, string | string[] | undefined>,
): WebhookCredentials {
  const one = (v: string | string[] | undefined) =>
    Array.isArray(v) ? v[0] : v;
  if (authentication.type === 'hmac-sha256') {
    const value = one(headers[authentication.header.toLowerCase()]);
    const hex = value?.startsWith(authentication.prefix)
      ? value.slice(authentication.prefix.length)
      : undefined;
    return {
      signature: /^[0-9a-fA-F]{64}$/.test(hex ?? '')
        ? hex!.toLowerCase()
        : undefined,
    };
  }
  const { secret, bearer } = credentialsFromHeaders(headers);
  const basic = one(headers.authorization)?.match(/^Basic\s+(\S+)$/i)?.[1];
  const password = basic
    ? Buffer.from(basic, 'base64')
        .toString('utf8')
        .split(':')
        .slice(1)
        .join(':')
    : undefined;
  return { secret, bearer: bearer ?? (password || undefined) };
}
