// Config: parse, validate and normalise portcullis.yaml (see ../../../../shared/SPEC.md).
export { ConfigError, type ConfigProblem, formatConfigProblem } from '../errors.js';
export { renderConfigDoc } from './config-doc.js';
export { DEFAULTS as CONFIG_DEFAULTS } from './normalise.js';
export {
  loadConfig,
  loadStoreConfig,
  type ParseConfigOptions,
  type ParseConfigResult,
  parseConfig,
  readConfigText,
} from './parse.js';
export { ALLOWED_JWT_ALGORITHMS, configSchema, DETECTORS, SQL_CATEGORIES } from './schema.js';
export { formatDuration, parseDuration, parseSize } from './units.js';
