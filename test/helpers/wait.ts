import net from 'node:net';

// Linux hands out 32768–60999 to outgoing connections and to listen(0). A port probed free in that
// range can be taken by any connection (to PostgreSQL, to a fake) before the server listens on it,
// which failed a CI run with EADDRINUSE. Below it nothing is handed out unasked, and each vitest
// worker takes from its own slice so two workers never pick the same port.
const FIRST_PORT = 20_000;
const SLICE = 3_000;
const handedOut = new Set<number>();

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nothing listens on right now, for a server whose own URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const worker = Math.max(1, Number(process.env.VITEST_POOL_ID) || 1);
  const sliceStart = FIRST_PORT + ((worker - 1) % 4) * SLICE;
  for (let tries = 0; tries < 50; tries++) {
    const port = sliceStart + Math.floor(Math.random() * SLICE);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await probe(port)) return port;
  }
  throw new Error('no free port found below the ephemeral range');
}

/** Polls `probe` until it returns something, or fails after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
