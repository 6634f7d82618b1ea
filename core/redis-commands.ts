import type { Result } from 'ioredis';
import { readLuaCommands } from './lua-commands.js';

/**
 * The Lua commands of core (`lua/`, read once at start), for idempotency claims, auth-failure
 * counters and the cancel-or-claim decision of scheduled sends. Their KEYS and ARGV are documented
 * at the top of each file.
 */
export const CORE_COMMANDS = readLuaCommands(new URL('./lua/', import.meta.url));

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** `lua/idempotencyReplaceIfUnchanged-1.lua`: replaces a claim still as read. */
    idempotencyReplaceIfUnchanged(
      claimKey: string,
      expected: string,
      claim: string,
      ttlS: number,
    ): Result<number, Context>;
    /** `lua/idempotencyUpdatePending-1.lua`: marks a pending claim taken or done. */
    idempotencyUpdatePending(claimKey: string, messageId: string, change: 'taken' | 'done'): Result<number, Context>;
    /** `lua/idempotencyAbandon-1.lua`: deletes a claim still this request's. */
    idempotencyAbandon(claimKey: string, messageId: string): Result<number, Context>;
    /** `lua/scheduleCancel-1.lua`: cancels a scheduled message no worker claimed; nil when unknown. */
    scheduleCancel(recordKey: string, bridgeId: string): Result<(string | null)[] | null, Context>;
    /** `lua/scheduleClaim-1.lua`: a worker claims a scheduled message that came due (0: cancelled). */
    scheduleClaim(recordKey: string): Result<number, Context>;
    /** `lua/authRecordFailure-4.lua`: counts one failed authentication. */
    authRecordFailure(
      pairKey: string,
      principalKey: string,
      spreadKey: string,
      addressKey: string,
      address: string,
      windowMs: number,
      display: string,
      known: '1' | '0',
    ): Result<unknown, Context>;
  }
}
