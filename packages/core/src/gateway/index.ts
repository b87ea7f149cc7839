export { commandDigest, commandText } from './command-text.js';
export { connectionHome, Gateway, type GatewayOptions } from './gateway.js';
