// Run in a child process by file-store.test.ts: records sessions into a shared directory.
import { openStore, storeConfigFromUrl } from '../open-store.js';

const [dir, tag, sessions, frames] = process.argv.slice(2);
const store = await openStore(storeConfigFromUrl(`file:${dir}`), { log: () => undefined });
const recs = Array.from({ length: Number(sessions) }, (_, i) =>
  store.startSession({
    id: `${tag}-${i}`,
    connection: tag,
    protocol: 'ssh',
    subject: tag,
    groups: [],
    client: '127.0.0.1',
    started_at: Date.now(),
    status: 'active',
  }),
);
for (let f = 0; f < Number(frames); f++) {
  for (const r of recs) r.record('output', Buffer.from(`${tag} frame ${f}\n`));
  if (f % 10 === 0) await new Promise((r) => setImmediate(r));
}
await Promise.all(recs.map((r) => r.end()));
await store.close();
