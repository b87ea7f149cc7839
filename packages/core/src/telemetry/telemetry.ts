// OpenTelemetry export seam. With no `telemetry.otlp_endpoint` the gateway holds `noopTelemetry`:
// the OTel SDK is never imported and each hook is one call into an empty function.
import type { ConnectionConfig, TelemetryConfig } from '../config/types.js';
import type { Command, Decision, Identity } from '../types.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** The span of one judged command; ended with the final decision (after any approval wait). */
export interface JudgeTrace {
  end(decision: Decision): void;
}

/** What a session span needs: never tokens, never command text or data. */
export interface TracedSession {
  readonly id: string;
  readonly connection: ConnectionConfig;
  readonly identity: Identity;
  /** The session span ends when this settles. */
  readonly closed: Promise<void>;
}

export interface Telemetry {
  readonly enabled: boolean;
  /** Starts the `portcullis.session` span. */
  session(session: TracedSession): void;
  /**
   * Starts the `portcullis.judge` span at `startedAt` (a performance.now() reading) once analysis has
   * produced `first`; `end()` closes it, with a `portcullis.approval` child span if a review was waited out.
   */
  judge(session: TracedSession, command: Command, first: Decision, startedAt: number): JudgeTrace;
  /** Flushes what is buffered and stops exporting, within a bounded time; never throws. */
  shutdown(): Promise<void>;
}

const noopJudge: JudgeTrace = { end() {} };

export const noopTelemetry: Telemetry = {
  enabled: false,
  session() {},
  judge: () => noopJudge,
  shutdown: async () => {},
};

export interface TelemetryOptions {
  log: Logger;
  metrics: Metrics;
  /** How often metrics are pushed (default 30 s; OTEL_METRIC_EXPORT_INTERVAL also sets it). */
  metricIntervalMs?: number;
  /** Longest a shutdown waits for the final export (default 3 s). */
  shutdownTimeoutMs?: number;
  /** Per-request timeout of the OTLP exporters (default 5 s). */
  exportTimeoutMs?: number;
}

/** Loads the OTel SDK only when an endpoint is configured. */
export async function startTelemetry(config: TelemetryConfig, opts: TelemetryOptions): Promise<Telemetry> {
  if (!config.otlpEndpoint) return noopTelemetry;
  try {
    const { startOtlpTelemetry } = await import('./otlp.js');
    return startOtlpTelemetry({ ...config, otlpEndpoint: config.otlpEndpoint }, opts);
  } catch (err) {
    // Telemetry is never a reason for the gateway not to start.
    opts.log.warn('telemetry disabled: the OTLP exporter could not start', {
      endpoint: config.otlpEndpoint,
      error: (err as Error).message,
    });
    return noopTelemetry;
  }
}
