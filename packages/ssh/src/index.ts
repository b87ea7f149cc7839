// @portcullis/ssh: the SSH listener (a thin adapter; policy, masking and recording live in core).

export { DENIED_EXIT_STATUS } from './exec.js';
export { loadOrCreateHostKey } from './host-key.js';
export { type SshListener, startSshListener } from './listener.js';
export { connectUpstream, fingerprint, parsePinnedHostKey, UpstreamError } from './upstream.js';
