--[[
  Connection semaphore: a sorted set of lease ids scored by when they expire (ms). A lease still
  held past its expiry is a slot leaked by a crashed process, and is reclaimed.
]]

-- Free slots of a set allowed `limit` leases (negative when the limit was lowered below the leases held).
local function freeLeases(key, limit, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return limit - redis.call('ZCARD', key)
end

-- Adds the first `count` of `leaseIds`, each expiring ttlMs from now; the set outlives its leases.
local function addLeases(key, leaseIds, count, now, ttlMs)
  local members = {}
  for i = 1, count do
    members[#members + 1] = now + ttlMs
    members[#members + 1] = leaseIds[i]
  end
  redis.call('ZADD', key, unpack(members))
  redis.call('PEXPIRE', key, ttlMs + 1000)
end

-- Milliseconds to wait for a slot of a full set: until its first lease expires, at most retryMs.
local function leaseWaitMs(key, now, retryMs)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, math.min(retryMs, math.ceil(tonumber(first[2]) - now)))
end
