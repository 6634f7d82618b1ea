--[[
  The adaptive state of an (IP, rollup) pair, read only.

  Input:
    KEYS[1] adaptive  adaptive backoff of the pair (includes/adaptiveFactor)

    ARGV[1] nowMs              '' for the Redis server's clock
    ARGV[2] recoveryPerMinute  of the adaptive factor

  Output:
    {factor, suspendedForMs}: the factor as a string (a Lua number in a reply loses its fraction),
    and the milliseconds left of the suspension (0 when not suspended).
]]
--- @include "includes/clock"
--- @include "includes/adaptiveFactor"

local now = clockMs(ARGV[1])
local factor, suspendedUntil = adaptiveFactor(KEYS[1], now, tonumber(ARGV[2]))
return { tostring(factor), math.max(0, suspendedUntil - now) }
