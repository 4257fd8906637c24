/**
 * Lent chunks: a reader may hand out a view of a reusable buffer and ask for it back. Whoever consumes a chunk last may
 * return it (the HTTP layer does, once the socket has taken the bytes); a chunk nobody returns is simply collected by the
 * garbage collector, so returning is an optimisation and never required for correctness.
 */
const lenders = new WeakMap<Uint8Array, () => void>();

export function lendChunk(chunk: Uint8Array, giveBack: () => void): Uint8Array {
  lenders.set(chunk, giveBack);
  return chunk;
}

/** The caller will never touch `chunk` again. Returning a chunk twice, or one that was not lent, does nothing. */
export function returnChunk(chunk: Uint8Array): void {
  const giveBack = lenders.get(chunk);
  if (!giveBack) return;
  lenders.delete(chunk);
  giveBack();
}
