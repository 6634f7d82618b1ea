--[[
  Suspends an (IP, rollup) pair whose provider answered "too fast", and halves its adaptive factor
  (down to the floor). Deferrals arriving while the pair is suspended come from connections opened
  before the suspension: one burst halves the factor once.

  Input:
    KEYS[1] adaptive  adaptive backoff of the pair (includes/adaptiveFactor)

    ARGV[1] nowMs              '' for the Redis server's clock
    ARGV[2] recoveryPerMinute  of the adaptive factor
    ARGV[3] suspendMs
    ARGV[4] floor              lowest factor

  Output:
    1 when the pair is suspended now, 0 when it already was.
]]
--- @include "includes/clock"
--- @include "includes/adaptiveFactor"

local adaptive = KEYS[1]
local now = clockMs(ARGV[1])
local recoveryPerMinute, suspendMs, floor = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local factor, suspendedUntil = adaptiveFactor(adaptive, now, recoveryPerMinute)
if suspendedUntil > now then return 0 end
factor = math.max(floor, factor / 2)
redis.call('HSET', adaptive, 'factor', tostring(factor), 'suspendedUntilMs', now + suspendMs)
-- The hash expires once the suspension is over and the factor has recovered to 1.
redis.call('PEXPIRE', adaptive, suspendMs + math.ceil((1 - factor) / recoveryPerMinute * 60000) + 1000)
return 1
