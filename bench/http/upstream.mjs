// The benchmark's upstream: node:http serving /1k (1 KiB JSON) and /1m (1 MiB JSON, or text with ?type=text).
// Prints its port on stdout.
import http from 'node:http';

function jsonOf(size) {
  // {"items":[ … ]} grown item by item while it fits, then padded with spaces to the exact size.
  const parts = [];
  let length = '{"items":[]}'.length;
  for (let i = 0; ; i++) {
    const item = JSON.stringify({
      id: i,
      name: `item-${i}`,
      status: 'active',
      owner: i === 0 ? 'alice@example.com' : `user-${i}`,
      qty: i * 3,
    });
    if (length + item.length + 1 > size) break;
    parts.push(item);
    length += item.length + (parts.length > 1 ? 1 : 0);
  }
  return Buffer.from(`{"items":[${parts.join(',')}]}`.padEnd(size, ' '));
}
const bodies = {
  '/1k': [jsonOf(1024), 'application/json'],
  '/1m': [jsonOf(1024 * 1024), 'application/json'],
  '/1m-text': [
    Buffer.from(
      jsonOf(1024 * 1024)
        .toString()
        .replace(/[{}"]/g, ' '),
    ),
    'text/plain',
  ],
  '/1m-bin': [Buffer.alloc(1024 * 1024, 7), 'application/octet-stream'],
};
const server = http.createServer((req, res) => {
  const hit = bodies[req.url.split('?')[0]];
  if (!hit) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': hit[1], 'content-length': hit[0].length });
  res.end(hit[0]);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
