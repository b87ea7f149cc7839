// Sends exact bytes over a socket (no client library re-encoding the path or fixing the framing)
// and reads back the first response.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

export function rawRequest(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 5000,
  untilClose = false,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      finish();
    }, timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no response (got ${JSON.stringify(raw.slice(0, 200))})`));
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: raw.slice(end + 4), raw });
    };
    sock.on('data', (c) => {
      chunks.push(c);
      // One response is enough: stop once a full content-length body is in.
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const m = /content-length:\s*(\d+)/i.exec(text.slice(0, end));
      if (!untilClose && end >= 0 && m && Buffer.byteLength(text.slice(end + 4)) >= Number(m[1])) {
        sock.destroy();
        finish();
      }
    });
    sock.on('end', () => sock.destroy());
    sock.on('close', finish);
    sock.on('error', () => undefined);
    sock.write(bytes);
  });
}
