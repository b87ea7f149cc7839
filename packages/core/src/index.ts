// @portcullis/core: everything a listener or the CLI needs, and nothing about any wire protocol.

export * from './analyze/http/index.js';
export * from './analyze/shell/index.js';
export * from './analyze/sql/index.js';
export * from './approvals/index.js';
export * from './config/index.js';
// both config and mask export DETECTORS: the top level keeps config's list of names (the mask table is DETECTOR_SPECS)
export { DETECTORS } from './config/index.js';
export * from './config/types.js';
export * from './errors.js';
export * from './gateway/index.js';
export * from './identity/index.js';
export * from './mask/index.js';
export * from './policy/index.js';
export * from './record/index.js';
export * from './redis/index.js';
export * from './telemetry/index.js';
export * from './types.js';
