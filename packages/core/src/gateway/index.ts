export { connectionHome, Gateway, type GatewayOptions } from './gateway.js';
export { commandDigest, commandText } from './command-text.js';
