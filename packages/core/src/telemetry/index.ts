export { createLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { type MetricHandle, Metrics } from './metrics.js';
