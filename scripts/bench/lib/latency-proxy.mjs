// @ts-check
// A loopback TCP relay that delays every chunk by half a round trip in each direction, so a contender sees the API
// server as if it were across a network. TLS passes through untouched (the serving cert names 127.0.0.1).
import net from 'node:net';

/**
 * @param {number} upstreamPort
 * @param {number} rttMs
 */
export async function startLatencyProxy(upstreamPort, rttMs) {
  const half = rttMs / 2;
  const sockets = new Set();
  const relay = (from, to) => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), half));
    from.on('end', () => setTimeout(() => to.destroyed || to.end(), half));
    from.on('error', () => to.destroy());
    from.on('close', () => setTimeout(() => to.destroy(), half));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    // The TCP handshake costs a round trip too.
    client.pause();
    upstream.once('connect', () => setTimeout(() => client.resume(), rttMs));
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  };
}
