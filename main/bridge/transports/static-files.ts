import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite names assets by their content hash: they never change under one name. */
  isImmutable: boolean;
}

/**
 * The built window (dist/renderer), read once at start into memory (a few hundred KiB): a request can only ever get
 * one of these files, so no path from a URL reaches the file system.
 */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
        files.set(urlPath, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream', isImmutable: urlPath.startsWith('/assets/') });
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // Not built: the server answers with a page saying so.
  }
  return files;
}
