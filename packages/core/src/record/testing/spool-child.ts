// Run in a child process by redis-outage.test.ts: records while the store is unreachable, then exits
// (gracefully, or killed by the parent once it says "spooled"), leaving a spool file behind.
import { openStore, storeConfigFromUrl } from '../open-store.js';

const [url, prefix, spoolDir, id, frames, mode] = process.argv.slice(2);
const store = await openStore(
  storeConfigFromUrl(url, { keyPrefix: prefix, onFailure: 'continue', failureTimeoutMs: 200 }),
  { spoolDir, log: () => undefined, memoryBytes: 16 * 1024 },
);
const rec = store.startSession({
  id,
  connection: 'child',
  protocol: 'ssh',
  subject: 'child',
  groups: [],
  client: '127.0.0.1',
  started_at: Date.now(),
  status: 'active',
});
for (let i = 1; i <= Number(frames); i++) {
  rec.record('output', Buffer.from(`child ${i}\n`));
  if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
}
if (mode === 'kill') {
  // Let the writer spill to disk, then wait to be killed.
  await new Promise((r) => setTimeout(r, 300));
  process.stdout.write('spooled\n');
  await new Promise((r) => setTimeout(r, 60_000));
}
await store.close();
