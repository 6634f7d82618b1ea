// Declarations of cluster-key-slot (ioredis' own slot hashing): the one function we use.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key: CRC16 of its hash tag (the part in `{…}`), else of all of it. */
  export default function calculateSlot(key: string | Buffer): number;
}
