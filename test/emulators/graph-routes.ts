/**
 * URL grammar of the Graph emulator. Paths are matched on the raw (still percent-encoded) pathname so that an encoded
 * ':' or '/' inside a name cannot be mistaken for the `root:/…:` delimiters; segments are decoded only afterwards.
 */
import { GraphFailure, invalidRequest } from './graph-odata.js';

/**
 * Parts are kept percent-encoded until a handler decodes them (after fault injection and auth, as the service would).
 * `rawDriveId` undefined means `/me/drive`.
 */
export type DriveTarget =
  | { kind: 'path'; rawDriveId: string | undefined; rawPath: string }
  | { kind: 'child'; rawDriveId: string | undefined; rawParentId: string; rawPath: string }
  | { kind: 'id'; rawDriveId: string | undefined; rawItemId: string };

export type GraphRoute =
  | { op: 'graph.create' | 'graph.simple' | 'graph.item'; target: DriveTarget }
  | { op: 'graph.put' | 'graph.status' | 'graph.delete' | 'graph.commit'; token: string }
  | { op: 'bench.sink'; name: string }
  | { op: 'oauth.devicecode' | 'oauth.token'; tenant: string }
  | { op: 'graph.unknown' };

const SESSION_OPS: Record<string, 'graph.put' | 'graph.status' | 'graph.delete' | 'graph.commit'> = {
  PUT: 'graph.put',
  GET: 'graph.status',
  DELETE: 'graph.delete',
  POST: 'graph.commit',
};

const UNKNOWN: GraphRoute = { op: 'graph.unknown' };

export function parseRoute(method: string, pathname: string): GraphRoute {
  const upload = /^\/up\/([A-Za-z0-9_-]+)$/.exec(pathname);
  if (upload) {
    const op = SESSION_OPS[method];
    return op ? { op, token: upload[1]! } : UNKNOWN;
  }
  const sink = /^\/_bench\/sink\/([A-Za-z0-9._-]+)$/.exec(pathname);
  if (sink) return method === 'PUT' ? { op: 'bench.sink', name: sink[1]! } : UNKNOWN;
  // The identity platform (login.microsoftonline.com) is served from the same port: /{tenant}/oauth2/v2.0/…
  const identity = /^\/([A-Za-z0-9._-]+)\/oauth2\/v2\.0\/(devicecode|token)$/.exec(pathname);
  if (identity) return method === 'POST' ? { op: identity[2] === 'token' ? 'oauth.token' : 'oauth.devicecode', tenant: identity[1]! } : UNKNOWN;

  const drive = /^\/v1\.0\/(?:me\/drive|drives\/([^/:]+))(\/.*)$/.exec(pathname);
  if (!drive) return UNKNOWN;
  const rawDriveId = drive[1];
  const rest = drive[2]!;

  let target: DriveTarget;
  let action: string;
  let match: RegExpExecArray | null;
  if (rest === '/root' || rest === '/root:' || rest === '/root:/') {
    target = { kind: 'id', rawDriveId, rawItemId: 'root' };
    action = '';
  } else if ((match = /^\/root:(\/[^:]*)(?::(\/[A-Za-z]*)?)?$/.exec(rest))) {
    target = { kind: 'path', rawDriveId, rawPath: match[1]! };
    action = match[2] ?? '';
  } else if ((match = /^\/items\/([^/:]+):(\/[^:]*)(?::(\/[A-Za-z]*)?)?$/.exec(rest))) {
    target = { kind: 'child', rawDriveId, rawParentId: match[1]!, rawPath: match[2]! };
    action = match[3] ?? '';
  } else if ((match = /^\/items\/([^/:]+)(\/[A-Za-z]+)?$/.exec(rest))) {
    target = { kind: 'id', rawDriveId, rawItemId: match[1]! };
    action = match[2] ?? '';
  } else {
    return UNKNOWN;
  }

  if (action === '' && method === 'GET') return { op: 'graph.item', target };
  if (action === '/createUploadSession' && method === 'POST') return { op: 'graph.create', target };
  if (action === '/content' && method === 'PUT') return { op: 'graph.simple', target };
  return UNKNOWN;
}

export function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GraphFailure(invalidRequest(`The path segment '${raw}' is not correctly URL-encoded.`));
  }
}

export function decodePath(raw: string): string[] {
  const trimmed = raw.replace(/^\//, '').replace(/\/$/, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map(decodeSegment);
}
