// Types for the pure-JS codecs the compression tests use as independent oracles and the benchmark
// compares against (neither package ships its own).

declare module 'lz4js' {
  const lz4js: {
    /** One LZ4 frame: FLG 0x40 (linked blocks), 4 MiB blocks, no checksums. */
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
    decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  };
  export default lz4js;
}

declare module 'lz4js/xxh32.js' {
  const xxh32: { hash(seed: number, src: Uint8Array, index: number, length: number): number };
  export default xxh32;
}

declare module 'snappyjs' {
  const snappyjs: {
    /** Raw snappy (varint length preamble, then elements). */
    compress(src: Buffer): Buffer;
    uncompress(src: Buffer, maxLength?: number): Buffer;
  };
  export default snappyjs;
}
