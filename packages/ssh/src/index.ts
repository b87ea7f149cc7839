// @portcullis/ssh: the SSH listener (a thin adapter; policy, masking and recording live in core).
export { type SshListener, startSshListener } from './listener.js';
export { DENIED_EXIT_STATUS } from './exec.js';
export { loadOrCreateHostKey } from './host-key.js';
export { connectUpstream, fingerprint, parsePinnedHostKey, UpstreamError } from './upstream.js';
