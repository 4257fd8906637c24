// Writes upload state as fast as it can until killed: used to prove the database survives kill -9 mid-write.
import { Store } from '../../dist/main/store/store.js';

const store = Store.open(process.argv[2]);
const dest = store.destinations.byName('d') ?? store.destinations.add('d', 'graph', {}, Date.now());
const parts = Array.from({ length: 64 }, (_, i) => ({ partIndex: i, offsetBytes: i * 10, sizeBytes: 10 }));
for (let round = 0; ; round++) {
  const job = store.jobs.create({ destinationId: dest.id, localPath: `/f${round}`, remotePath: `/f${round}`, sizeBytes: 640, mtimeMs: round, inode: null }, Date.now());
  const session = store.sessions.open({ jobId: job.id, provider: 'graph', sessionUrl: 'u', remoteSessionId: null, partSizeBytes: 10, expiresAtMs: null, extra: {} }, parts, Date.now());
  for (const p of parts) store.sessions.markPartDone(session.id, p.partIndex, `digest-${round}-${p.partIndex}`, { round });
  store.jobs.complete(job.id, { round }, Date.now());
  if (round === 0) process.stdout.write('writing\n');
}
