--[[
  Adaptive backoff of an (IP, rollup) pair, a hash:
    factor            share (floor … 1) of the configured destination rate and connections
    suspendedUntilMs  end of the last suspension
  The stored factor is the one set when the pair was suspended; from the end of the suspension it
  recovers by recoveryPerMinute each minute, computed here when read.
]]

-- Returns the factor now and the end of the last suspension (1, 0 for a pair never suspended).
local function adaptiveFactor(key, now, recoveryPerMinute)
  local stored = redis.call('HMGET', key, 'factor', 'suspendedUntilMs')
  local factor, suspendedUntil = tonumber(stored[1]), tonumber(stored[2]) or 0
  if not factor then return 1, 0 end
  if now > suspendedUntil then
    factor = math.min(1, factor + recoveryPerMinute * (now - suspendedUntil) / 60000)
  end
  return factor, suspendedUntil
end
