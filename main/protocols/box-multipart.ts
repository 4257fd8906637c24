import { randomBytes } from 'node:crypto';
import { UploadFailure } from '../domain/failure.js';

export interface MultipartBody {
  contentType: string;
  /** Exact: preamble + file bytes + epilogue, so the body can stream without chunked encoding. */
  contentLength: number;
  body: AsyncIterable<Uint8Array>;
}

/**
 * Box's plain upload body: the `attributes` JSON part first (Box rejects metadata after the file), then the file part,
 * streamed from `data` without buffering the file.
 */
export function multipartUpload(attributes: Record<string, unknown>, fileName: string, data: AsyncIterable<Uint8Array>, sizeBytes: number): MultipartBody {
  const boundary = `hoist-${randomBytes(16).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="attributes"\r\n\r\n${JSON.stringify(attributes)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${headerSafe(fileName)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    'utf8',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: preamble.length + sizeBytes + epilogue.length,
    body: stream(preamble, data, sizeBytes, epilogue),
  };
}

async function* stream(preamble: Buffer, data: AsyncIterable<Uint8Array>, sizeBytes: number, epilogue: Buffer): AsyncIterable<Uint8Array> {
  yield preamble;
  let sent = 0;
  for await (const chunk of data) {
    sent += chunk.length;
    if (sent > sizeBytes) throw changedWhileReading();
    yield chunk;
  }
  if (sent !== sizeBytes) throw changedWhileReading();
  yield epilogue;
}

function changedWhileReading(): UploadFailure {
  return new UploadFailure({ kind: 'retry', reason: 'the file changed size while it was being uploaded' });
}

/** The name Box stores comes from `attributes`; the header copy only has to be harmless. */
function headerSafe(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}
