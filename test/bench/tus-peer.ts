/**
 * The tus reference client for the benchmark, run as its own measured process: tus-js-client 4 (Node build) uploading
 * one file the way its README shows, with its defaults (chunkSize Infinity = the whole file in one PATCH).
 *
 *   node dist/test/bench/tus-peer.js <endpoint> <file> <filename> [--url-file PATH] [--resume-url URL]
 *
 * --url-file: the upload URL is written there as soon as the server assigned it (for a resume after SIGKILL: tus-js-client
 * keeps no state of its own in Node without a URL storage). --resume-url: continue that upload (`uploadUrl`): a HEAD asks
 * the server for its offset and the rest is sent from there. Prints {"url","bytes"} on success; exit 1 on error.
 */
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import * as tus from 'tus-js-client';

function main(): void {
  const [endpoint, path, filename, ...rest] = process.argv.slice(2);
  if (!endpoint || !path || !filename) throw new Error('usage: tus-peer.js <endpoint> <file> <filename> [--url-file PATH] [--resume-url URL]');
  const option = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const urlFile = option('--url-file');
  const resumeUrl = option('--resume-url');
  const size = statSync(path).size;
  const upload: tus.Upload = new tus.Upload(createReadStream(path), {
    endpoint,
    uploadSize: size,
    metadata: { filename },
    ...(resumeUrl ? { uploadUrl: resumeUrl } : {}),
    onUploadUrlAvailable: () => {
      if (urlFile && upload.url) writeFileSync(urlFile, upload.url);
    },
    onError: (error) => {
      process.stderr.write(`tus-js-client: ${error.message}\n`);
      process.exit(1);
    },
    onSuccess: () => {
      process.stdout.write(`${JSON.stringify({ url: upload.url, bytes: size })}\n`);
      process.exit(0);
    },
  });
  upload.start();
}

try {
  main();
} catch (error) {
  process.stderr.write(`tus-peer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
