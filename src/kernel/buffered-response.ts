/**
 * A `Response` for an answer already read whole. Node's `Response` wraps even a buffer in a
 * readable stream and reads it back through it; on this project's machine that was 20–40 µs
 * a call, and a reply makes three such calls (the model, "typing…", the message sent). This
 * one keeps the bytes and makes the stream only for a caller that asks for `body`.
 *
 * It is a real `Response` (status, headers, `instanceof`) made without a body, whose body
 * readers are replaced on the instance; the type declarations do not let a subclass replace
 * them. Each reads as fetch's does: once (a second read rejects with a `TypeError`), `clone`
 * only before reading, and `body` a stream of the same bytes.
 */
export function bufferedResponse(bytes: Uint8Array<ArrayBuffer>, init: ResponseInit): Response {
  const response = new Response(null, init);
  let used = false;
  let stream: ReadableStream<Uint8Array> | null = null;
  const consumed = () => used || (stream?.locked ?? false);
  const take = async (): Promise<Uint8Array<ArrayBuffer>> => {
    if (consumed()) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    return bytes;
  };
  const arrayBuffer = async () => {
    const copy = new Uint8Array((await take()).byteLength);
    copy.set(bytes);
    return copy.buffer;
  };
  const text = async () => new TextDecoder().decode(await take());
  const readers = {
    arrayBuffer,
    bytes: async () => new Uint8Array(await arrayBuffer()),
    text,
    json: async (): Promise<unknown> => JSON.parse(await text()),
    blob: async () => {
      const type = response.headers.get('content-type');
      return new Blob([await arrayBuffer()], type ? { type } : {});
    },
    formData: async () => new Response(await take(), { headers: response.headers }).formData(),
    clone: () => {
      if (consumed()) throw new TypeError('Response.clone: Body has already been consumed.');
      return bufferedResponse(bytes, {
        status: response.status,
        statusText: response.statusText,
        headers: new Headers(response.headers),
      });
    },
  };
  for (const [name, value] of Object.entries(readers)) {
    Object.defineProperty(response, name, { value, configurable: true, writable: true });
  }
  Object.defineProperty(response, 'body', {
    get: () => (stream ??= new Response(bytes).body),
    configurable: true,
  });
  Object.defineProperty(response, 'bodyUsed', { get: consumed, configurable: true });
  return response;
}
