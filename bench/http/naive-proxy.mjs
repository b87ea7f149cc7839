// The floor: the naive node:http pipe proxy (no auth, no judging, no masking), global keep-alive agent.
// Usage: node naive-proxy.mjs UPSTREAM_PORT — prints its port.
import http from 'node:http';

const upstream = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  const up = http.request(
    { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
