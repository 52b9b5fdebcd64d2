/** Chunk size of the big answers benchmark 9 streams (hosts/upstream-host.ts). */
export const CHUNK = 64 * 1024;

/** The k-th chunk of a big answer: every byte (k * 31 + 7) mod 251, so a reordered, lost or repeated chunk changes the digest. */
export const patternChunk = (k: number) => Buffer.alloc(CHUNK, (k * 31 + 7) % 251);
