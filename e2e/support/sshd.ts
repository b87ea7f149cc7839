// The sshd the e2e tests start is the demo's: one implementation (packages/cli/src/demo/sshd.ts).
export * from '../../packages/cli/src/demo/sshd.js';
