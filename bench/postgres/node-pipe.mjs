// The floor for a Node proxy: a plain TCP pipe to PostgreSQL in one Node process (no parsing, judging,
// masking or recording). Usage: node node-pipe.mjs UPSTREAM_PORT — prints its port; SIGTERM stops it.
import net from 'node:net';

const upstream = Number(process.argv[2] ?? 5432);
const server = net.createServer({ noDelay: true }, (agent) => {
  const up = net.connect({ host: '127.0.0.1', port: upstream, noDelay: true });
  agent.pipe(up);
  up.pipe(agent);
  agent.on('error', () => up.destroy());
  up.on('error', () => agent.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
