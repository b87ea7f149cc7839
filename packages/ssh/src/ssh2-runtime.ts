// ssh2 is CommonJS: Node's ESM loader cannot see its named exports, so take them off the default.
import ssh2 from 'ssh2';

export const { Client, Server, utils, BaseAgent } = ssh2;
