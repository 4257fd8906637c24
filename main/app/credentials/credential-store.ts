import * as z from 'zod';
import type { SecretStore } from '../secret-store.js';
import { oauthTokensKey } from './oauth-token-source.js';

/** A destination's OAuth tokens as kept in the token store under `oauth:NAME`. */
export interface OAuthTokens {
  accessToken: string;
  /** Absent when the server gave none (then the user signs in again when the access token expires). */
  refreshToken?: string;
  expiresAtMs: number;
  /** When the access token was received (local clock): with expiresAtMs, its lifetime. */
  issuedAtMs: number;
  scope?: string;
}

const tokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  expiresAtMs: z.number(),
  issuedAtMs: z.number().optional(),
  scope: z.string().optional(),
});

/** Persistence of one destination's tokens; the SecretStore supplies the file mode and the OS encryption. */
export class CredentialStore {
  constructor(
    private readonly secrets: SecretStore,
    readonly destinationName: string,
  ) {}

  /** Undefined when the destination never signed in (or what is stored is unreadable: signing in again fixes it). */
  load(): OAuthTokens | undefined {
    const text = this.secrets.get(oauthTokensKey(this.destinationName));
    if (text === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = tokensSchema.safeParse(raw);
    if (!parsed.success) return undefined;
    const t = parsed.data;
    // Records written before issuedAtMs existed: assume an hour-long token, the common lifetime.
    return { ...t, issuedAtMs: t.issuedAtMs ?? t.expiresAtMs - 3_600_000 };
  }

  save(tokens: OAuthTokens): void {
    this.secrets.set(oauthTokensKey(this.destinationName), JSON.stringify(tokens));
  }

  clear(): void {
    this.secrets.delete(oauthTokensKey(this.destinationName));
  }
}
