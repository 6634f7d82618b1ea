import type { Result } from 'ioredis';
import { readLuaCommands } from '../../../core/index.js';

/**
 * The Lua commands of the shaper (`lua/`, read once at start): each decision is one script, so
 * checks and takes are atomic and all-or-nothing. Their KEYS and ARGV are documented at the top of
 * each file.
 */
export const SHAPING_COMMANDS = readLuaCommands(new URL('./lua/', import.meta.url));

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** `lua/shapingAcquire-6.lua`: tokens and connection slots for a batch of lease ids. */
    shapingAcquire(...keysThenArgs: (string | number)[]): Result<unknown, Context>;
    /** `lua/shapingSuspend-1.lua`: suspends an (IP, rollup) pair and halves its adaptive factor. */
    shapingSuspend(...keysThenArgs: (string | number)[]): Result<unknown, Context>;
    /** `lua/shapingDestinationState-1.lua`: the adaptive factor and suspension of a pair. */
    shapingDestinationState(...keysThenArgs: (string | number)[]): Result<unknown, Context>;
  }
}

/** Redis keys of an (IP, rollup) pair's limits. */
export interface ShapingKeys {
  ipBucket: string;
  ipHourly: string;
  ipLeases: string;
  destinationBucket: string;
  destinationLeases: string;
  adaptive: string;
}

/** The keys of an (IP, rollup) pair; the IP is their hash tag, so one script's keys share a cluster slot. */
export function shapingKeys(prefix: string, ip: string, rollup: string): ShapingKeys {
  const base = `${prefix}:shaping:{${ip}}`;
  const destination = `${base}:dst:${rollup.toLowerCase()}`;
  return {
    ipBucket: `${base}:rate`,
    ipHourly: `${base}:hour`,
    ipLeases: `${base}:conns`,
    destinationBucket: `${destination}:rate`,
    destinationLeases: `${destination}:conns`,
    adaptive: `${destination}:adaptive`,
  };
}

/** KEYS of `shapingAcquire`, in its order. */
export const acquireKeys = (k: ShapingKeys): string[] => [
  k.ipBucket,
  k.ipHourly,
  k.ipLeases,
  k.destinationBucket,
  k.destinationLeases,
  k.adaptive,
];
