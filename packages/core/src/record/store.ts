// The recording store's public shape, and the narrower backend each storage (Redis, files) implements.
import type { Frame, FrameKind, SessionMeta } from '../types.js';
import type { StoredEntry, VerifyResult } from './chain.js';

export interface SessionFilter {
  connection?: string;
  subject?: string;
  protocol?: string;
  status?: string;
  /** Sessions started at or after this time (ms epoch). */
  since?: number;
  /** Default 1000. */
  limit?: number;
  offset?: number;
}

export interface RecordStore {
  /** Writes the meta and index entry (asynchronously, batched with frames) and returns the session's recorder. */
  startSession(meta: SessionMeta): SessionRecorder;
  /** Newest first. */
  listSessions(filter?: SessionFilter): Promise<SessionMeta[]>;
  getSession(id: string): Promise<SessionMeta | undefined>;
  readFrames(id: string, opts?: { fromSeq?: number; count?: number }): Promise<Frame[]>;
  /** Every frame from the beginning (or fromSeq), then live ones; ends after the session's close frame. */
  follow(id: string, opts?: { fromSeq?: number; signal?: AbortSignal }): AsyncIterable<Frame>;
  verify(id: string): Promise<VerifyResult>;
  /** False while frames cannot be stored (the gateway refuses new sessions, /readyz reports it). */
  healthy(): boolean;
  /** Frames recorded but not yet stored (memory + spool). */
  backlog(): number;
  /** Waits until every frame recorded so far is stored, or until `timeoutMs` (default: failureTimeoutMs). */
  flush(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface SessionRecorder {
  readonly id: string;
  /**
   * Never blocks, never throws. Uint8Array/Buffer → enc "b64"; anything else → JSON text.
   * Returns the frame's seq (1, 2, …), or 0 when nothing was recorded (after end).
   */
  record(kind: FrameKind, data: unknown): number;
  /** Records a close frame (unless the last frame was one), stores ended_at/status/frames/last_hash, and waits for the store (bounded by failureTimeoutMs). */
  end(status?: 'closed' | 'failed', reason?: string, summary?: SessionSummary): Promise<void>;
  /** Resolves with a reason when on_failure is close and this session's frames could not be stored in time. */
  readonly failed: Promise<string>;
}

/** What the session counted, stored in the meta at end so a list can show it without reading frames. */
export interface SessionSummary {
  commands?: number;
  denied?: number;
  reviewed?: number;
  /** Values masked, all detectors together. */
  masked?: number;
  /** Values masked per detector / column rule. */
  masked_by?: Record<string, number>;
}

/** One unit of work for a backend, in recording order. Serialised as-is into the spool. */
export type WriteOp =
  | { op: 'frame'; id: string; frame: Frame }
  | {
      op: 'meta';
      id: string;
      /** start: full meta + index entry; end: final fields; mark: e.g. truncated. */
      phase: 'start' | 'end' | 'mark';
      fields: Partial<SessionMeta>;
    };

/** Sessions whose operations the store refused for good (they are not retried), with why. */
export interface WriteResult {
  rejected: Map<string, string>;
}

/** What a storage provides. `write` must be idempotent: a failed batch is sent again whole. */
export interface Backend {
  /** For messages; never includes a password. */
  readonly describe: string;
  /** The connection is up (Redis) / the directory is writable (files). */
  available(): boolean;
  /** When a step of the write in flight last finished (ms epoch): a slow write that moves is not a stall. */
  readonly progressAt?: number;
  write(ops: WriteOp[]): Promise<WriteResult | undefined>;
  getSession(id: string): Promise<SessionMeta | undefined>;
  listSessions(filter: SessionFilter): Promise<SessionMeta[]>;
  /** Stored entries in storage order, starting at fromSeq (1 = the beginning). */
  readEntries(id: string, fromSeq: number, count: number): Promise<StoredEntry[]>;
  follow(id: string, fromSeq: number, signal?: AbortSignal): AsyncIterable<Frame>;
  /** Drops what retention says is gone (index entries, old files). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
