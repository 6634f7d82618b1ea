--[[
  Token bucket, a hash:
    tokens     tokens held at updatedMs (fractional)
    updatedMs  when tokens was written
  It holds up to max(1, perSecond) tokens (a burst of one second) and refills perSecond a second.
  A perSecond of 0 is no limit: the bucket is neither read nor written.
]]

-- Tokens held now (math.huge without a limit).
local function bucketTokens(key, perSecond, now)
  if perSecond <= 0 then return math.huge end
  local rate, capacity = perSecond / 1000, math.max(1, perSecond)
  local stored = redis.call('HMGET', key, 'tokens', 'updatedMs')
  local tokens, updated = tonumber(stored[1]), tonumber(stored[2])
  if not tokens then return capacity end
  return math.min(capacity, tokens + math.max(0, now - updated) * rate)
end

-- Milliseconds until a bucket holding `tokens` holds one (0 when it does).
local function bucketWaitMs(tokens, perSecond)
  if tokens >= 1 then return 0 end
  return math.ceil((1 - tokens) / (perSecond / 1000))
end

-- Takes `count` of the `tokens` held now; the hash expires once the bucket would be full again.
local function bucketTake(key, perSecond, tokens, count, now)
  if perSecond <= 0 then return end
  local rate, capacity = perSecond / 1000, math.max(1, perSecond)
  redis.call('HSET', key, 'tokens', tostring(tokens - count), 'updatedMs', now)
  redis.call('PEXPIRE', key, math.ceil(capacity / rate) + 1000)
end
