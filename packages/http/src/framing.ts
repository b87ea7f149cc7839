// Request framing checks on top of Node's strict parser: anything two HTTP implementations could
// read as different message boundaries (request smuggling) is refused before it goes anywhere.
import type { IncomingMessage } from 'node:http';

const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Returns why the request's framing is ambiguous, or undefined when it is clean. */
export function framingProblem(req: IncomingMessage): string | undefined {
  let contentLength = 0;
  let transferEncoding: string[] = [];
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (BAD_VALUE.test(value)) return `control character in header ${name}`;
    if (name === 'content-length') {
      contentLength++;
      if (!/^\d+$/.test(value.trim())) return 'invalid Content-Length';
    } else if (name === 'transfer-encoding') transferEncoding = transferEncoding.concat(value.split(','));
    else if (name === 'host') hosts++;
  }
  if (contentLength > 1) return 'more than one Content-Length';
  if (transferEncoding.length > 0) {
    if (contentLength > 0) return 'both Content-Length and Transfer-Encoding';
    const codings = transferEncoding.map((t) => t.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== 'chunked')
      return `unsupported Transfer-Encoding "${codings.join(', ')}"`;
  }
  if (hosts > 1) return 'more than one Host header';
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return 'missing Host header';
  return undefined;
}
