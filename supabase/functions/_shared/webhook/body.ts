// A webhook request's body read with a size cap: a declared Content-Length over the cap is refused
// unread, and a body streamed without one stops being read as soon as it passes the cap, so a
// large or endless body never sits in the worker's memory.

/** Ploomes sends one record before and after the change: far below this. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The body as text, or null when it is larger than `limit` bytes. */
export async function readCappedText(request: Request, limit: number = MAX_BODY_BYTES): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
