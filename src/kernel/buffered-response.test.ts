import { describe, expect, it } from 'vitest';
import { bufferedResponse } from './buffered-response.js';

const BODY = JSON.stringify({ ok: true, result: { message_id: 7, text: 'Open on Sunday, 10–16.' } });
const init = () => ({
  status: 201,
  statusText: 'Created',
  headers: new Headers({ 'content-type': 'application/json' }),
});
/** The same answer both ways: Node's own `Response`, and the buffered one. */
const both = () => [new Response(Buffer.from(BODY), init()), bufferedResponse(Buffer.from(BODY), init())] as const;

describe('bufferedResponse', () => {
  it('is a Response with the status, headers and body it was given', async () => {
    const response = bufferedResponse(Buffer.from(BODY), init());
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.statusText, response.ok]).toEqual([201, 'Created', true]);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(JSON.parse(BODY));
  });

  it('reads each way as Node’s Response does, once', async () => {
    const readers = [
      async (r: Response) => r.text(),
      async (r: Response) => r.json(),
      async (r: Response) => new TextDecoder().decode(await r.arrayBuffer()),
      async (r: Response) => (await r.blob()).text(),
      async (r: Response) => (await r.blob()).type,
    ];
    for (const read of readers) {
      const [real, buffered] = both();
      expect(await read(buffered)).toEqual(await read(real));
      expect(buffered.bodyUsed).toBe(true);
      await expect(read(buffered)).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('gives its body as a stream of the same bytes, and is read once that is', async () => {
    const response = bufferedResponse(Buffer.from(BODY), init());
    expect(response.bodyUsed).toBe(false);
    const text = await new Response(response.body).text();
    expect(text).toBe(BODY);
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toBeInstanceOf(TypeError);
  });

  it('clones before reading, each clone read on its own; not after', async () => {
    const response = bufferedResponse(Buffer.from(BODY), init());
    const copy = response.clone();
    expect(copy.status).toBe(201);
    expect(await copy.text()).toBe(BODY);
    expect(await response.text()).toBe(BODY);
    expect(() => response.clone()).toThrow(TypeError);
  });
});
