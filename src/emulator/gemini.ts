/**
 * A Gemini API emulator: a loopback HTTP server speaking the generativelanguage
 * v1beta wire format (docs/external-apis.md §1), so that the real `@google/genai`
 * SDK, pointed at it with `httpOptions.baseUrl`, runs unchanged. `parley demo`
 * answers customers through it with simulated replies, and the benchmarks with
 * their own instant ones. It stands alone: nothing here knows about Parley.
 */
import { createServer, type Server } from 'node:http';
import { geminiHandler, type GeminiHandlerOptions } from './handler.js';

export type { GeminiHandlerOptions } from './handler.js';
export type { EmulatorRequest } from './request.js';
export { simulatedReply } from './simulated.js';
export type { EmulatorReply, EmulatorResponder } from './wire.js';

export interface GeminiEmulatorOptions extends GeminiHandlerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export class GeminiEmulator {
  private constructor(
    private readonly server: Server,
    /** `http://host:port`, the SDK's `httpOptions.baseUrl`. */
    readonly url: string,
  ) {}

  static async start(options: GeminiEmulatorOptions = {}): Promise<GeminiEmulator> {
    const host = options.host ?? '127.0.0.1';
    const handle = geminiHandler(options);
    const server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('Gemini emulator: no TCP address');
    const authority = host.includes(':') ? `[${host}]` : host;
    return new GeminiEmulator(server, `http://${authority}:${address.port}`);
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets (the SDK's fetch pools them) would otherwise hold close() open.
      this.server.closeAllConnections();
    });
  }
}
