export { createLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export { type MetricHandle, Metrics } from './metrics.js';
export {
  type JudgeTrace,
  noopTelemetry,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  type TracedSession,
} from './telemetry.js';
