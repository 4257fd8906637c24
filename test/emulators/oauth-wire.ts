/**
 * Pieces both emulated authorization servers share: form bodies, opaque tokens, RFC 6749 error bodies.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Opaque, unguessable, and recognisable in a test failure by its prefix (never a real token format). */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}.${randomBytes(24).toString('base64url')}`;
}

export function parseForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** RFC 6749 §5.2 error body; Microsoft adds error_codes, timestamp and trace ids. */
export function oauthErrorBody(error: string, description: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { error, error_description: description, ...extra };
}

/** RFC 7636 S256: BASE64URL(SHA256(verifier)). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
