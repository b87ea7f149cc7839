// Session recording: the recorder, the Redis and file stores, the hash chain, and replay rendering.
export {
  chainStart,
  FRAME_KINDS,
  frameHash,
  isFrameKind,
  type StoredEntry,
  type VerifyResult,
  verifyChain,
} from './chain.js';
export { nullStore } from './null-store.js';
export { fileStoreDir, type OpenStoreOptions, openStore, storeConfigFromUrl } from './open-store.js';
export {
  type CommandSummary,
  describeFrame,
  type FrameValue,
  frameValue,
  isTerminalSession,
  resultSummary,
  summarizeCommands,
  terminalOutput,
  toAsciicast,
} from './render.js';
export type { RecordStore, SessionFilter, SessionRecorder, SessionSummary } from './store.js';
export { SESSION_ID } from './store.js';
