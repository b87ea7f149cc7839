// A store that keeps nothing: recording off, for benchmarks that measure what recording costs.
import type { RecordStore, SessionRecorder } from './store.js';

export function nullStore(): RecordStore {
  return {
    startSession(meta) {
      let seq = 0;
      let ended = false;
      const rec: SessionRecorder = {
        id: meta.id,
        record: () => (ended ? 0 : ++seq),
        end: async () => {
          ended = true;
        },
        failed: new Promise<string>(() => undefined),
      };
      return rec;
    },
    listSessions: async () => [],
    getSession: async () => undefined,
    readFrames: async () => [],
    follow: async function* () {},
    verify: async () => ({ ok: true, frames: 0 }),
    healthy: () => true,
    backlog: () => 0,
    flush: async () => true,
    close: async () => undefined,
  };
}
