import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of the broker, so a test can cut its own connections
 * (`cut()`) or refuse new ones (`pause()`) without disturbing other tests on the same broker.
 */
export async function startTcpProxy(target = { host: '127.0.0.1', port: 5672 }) {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    /** Connections accepted so far (a reconnect makes a new one). */
    get accepted() {
      return accepted;
    },
    /** Cuts every open connection at once, as a network failure would. */
    cut(): number {
      const n = sockets.size / 2;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return n;
    },
    /** Refuses (true) or accepts (false) new connections. */
    refuse(value: boolean): void {
      refusing = value;
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;
