import { Agent, request } from 'undici';
import { UploadFailure, parseRetryAfterMs } from '../domain/failure.js';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  retryAfterMs: number | undefined;
}

export interface HttpRequestInit {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD' | 'PATCH' | 'OPTIONS';
  headers?: Record<string, string>;
  body?: string | AsyncIterable<Uint8Array> | Buffer;
  signal: AbortSignal;
}

// Replies we parse are small JSON documents; anything larger is not a reply we understand.
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

const agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000, connect: { timeout: 30_000 } });

/**
 * One HTTP exchange. Network failures become a classified `retry` failure; an abort (pause, cancel) is rethrown as the
 * signal's reason so callers can tell a pause from an error.
 */
export async function httpRequest(url: string, init: HttpRequestInit): Promise<HttpReply> {
  try {
    const res = await request(url, {
      method: init.method,
      headers: init.headers,
      body: init.body as never,
      signal: init.signal,
      dispatcher: agent,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size <= MAX_REPLY_BYTES) chunks.push(chunk as Buffer);
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      text: Buffer.concat(chunks).toString('utf8'),
      retryAfterMs: parseRetryAfterMs(res.headers['retry-after'], Date.now()),
    };
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    if (error instanceof UploadFailure) throw error;
    const code = (error as { code?: string }).code;
    const host = safeHost(url);
    throw new UploadFailure({ kind: 'retry', reason: `network error talking to ${host}: ${code ?? (error as Error).message}` });
  }
}

/** Host only: upload URLs carry credentials in their query, so they are never printed whole. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
