import { chmod, unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { configEnvironment, type Config } from '../kernel/config.js';
import type { DatabaseHandle } from '../db/client.js';
import type { EventBus } from '../events/events.js';
import type { TokenRevocations } from '../events/revocations.js';
import { EXIT, type CommandIO } from './command.js';
import { databaseCommands } from './commands/index.js';
import { differingVariables, environmentDigests, forwardedNotice } from './environment.js';

/**
 * The embedded database (PGlite) admits one process. While `parley serve`
 * holds it, CLI commands run inside the server instead: the CLI sends the
 * command over this Unix socket in the data dir (mode 0600, so only the
 * account that owns the data can use it) and prints what comes back.
 *
 * Sharing the database itself over pglite-socket was the alternative; its
 * multiplexer does not keep a client's transaction apart from the server's own
 * queries, so this routes whole commands instead.
 */
const SOCKET_NAME = 'parley.sock';
// sun_path holds 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH = 107;
const MAX_REQUEST_BYTES = 64 * 1024;

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, SOCKET_NAME);
}

interface ControlRequest {
  command: string;
  args: unknown;
  /** Digests of the configuration variables the CLI's shell sets (see environment.ts). */
  environment?: unknown;
}

/** The server's first frame: who runs the command, and which of the shell's variables it does not share. */
interface ServerFrame {
  server: { pid: number; differing: string[] };
}

type ControlFrame = ServerFrame | { out: string } | { err: string } | { exit: number };

export interface ControlServer {
  close(): Promise<void>;
}

export async function startControlServer(
  context: { database: DatabaseHandle; config: Config; revocations: TokenRevocations; events: EventBus },
  logger: Logger,
): Promise<ControlServer | undefined> {
  const socketPath = controlSocketPath(context.config.dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    logger.warn({ socketPath }, 'data dir path too long for the control socket: CLI commands need the server stopped');
    return undefined;
  }
  // What commands run with here; the shell that sends one may have other values.
  const environment = configEnvironment();
  // We hold the embedded lock, so a socket file left here is a dead server's.
  await unlink(socketPath).catch(() => {});

  const server = http.createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'control command failed');
      if (!response.headersSent) response.writeHead(500);
      response.end(
        `${JSON.stringify({ err: 'Error: the command failed inside the server; see its log.' })}\n${JSON.stringify({ exit: EXIT.failure })}\n`,
      );
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse) {
    if (request.method !== 'POST' || request.url !== '/run') {
      response.writeHead(404).end();
      return;
    }
    const body = await readBody(request);
    const { command, args, environment: digests } = JSON.parse(body) as ControlRequest;
    const definition = Object.hasOwn(databaseCommands, command) ? databaseCommands[command] : undefined;
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const write = (frame: ControlFrame) => response.write(`${JSON.stringify(frame)}\n`);
    write({ server: { pid: process.pid, differing: differingVariables(digests, environment) } });
    if (!definition) {
      write({ err: `Error: the running server does not know the command "${command}".` });
      write({ exit: EXIT.usage });
      response.end();
      return;
    }
    const io: CommandIO = { out: (line) => write({ out: line }), err: (line) => write({ err: line }) };
    logger.info({ command }, 'running CLI command for a local client');
    const exit = await definition.run({ ...context, io }, args);
    write({ exit });
    response.end();
  }

  // The socket file takes its mode from the umask when it is created: without
  // this it would be world-connectable until the chmod below.
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  await chmod(socketPath, 0o600);

  return {
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(socketPath).catch(() => {});
    },
  };
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new Error('control request too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Runs a command in the server holding the embedded database, first saying so
 * on stderr, with a warning for each configuration variable this shell sets
 * that the server does not share. Resolves to undefined when no server answers
 * on the socket, so the caller opens the database itself.
 */
export function runInServer(
  dataDir: string,
  command: string,
  args: unknown,
  io: CommandIO,
  shell: Record<string, string> = configEnvironment(),
): Promise<number | undefined> {
  const socketPath = controlSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const request = http.request({
      socketPath,
      path: '/run',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve(undefined);
      else reject(error);
    });
    request.on('response', (response) => {
      let buffer = '';
      let exit: number | undefined;
      let announced = false;
      const announce = (frame?: ServerFrame) => {
        if (announced) return;
        announced = true;
        // A server from before the first frame existed still runs the command: said without its pid.
        for (const line of forwardedNotice(frame?.server.pid, frame?.server.differing ?? [])) io.err(line);
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const frame = JSON.parse(buffer.slice(0, newline)) as ControlFrame;
          buffer = buffer.slice(newline + 1);
          if ('server' in frame) {
            announce(frame);
            continue;
          }
          announce();
          if ('out' in frame) io.out(frame.out);
          else if ('err' in frame) io.err(frame.err);
          else exit = frame.exit;
        }
      });
      response.on('end', () => {
        if (exit === undefined) {
          io.err('Error: the server closed the connection before the command finished.');
          resolve(EXIT.failure);
        } else resolve(exit);
      });
      response.on('error', reject);
    });
    request.end(JSON.stringify({ command, args, environment: environmentDigests(shell) } satisfies ControlRequest));
  });
}
