--[[
  Replaces a claim only if it is still the one read: the takeover of a stale claim loses to any
  request that changed it in between.

  Input:
    KEYS[1] claim     the idempotency key's claim (JSON)

    ARGV[1] expected  the claim as read
    ARGV[2] claim     the claim written in its place
    ARGV[3] ttlS      seconds the new claim is kept

  Output:
    1 when replaced, 0 when the claim had changed.
]]
local claimKey = KEYS[1]
local expected, replacement, ttlS = ARGV[1], ARGV[2], ARGV[3]

if redis.call('GET', claimKey) ~= expected then return 0 end
redis.call('SET', claimKey, replacement, 'EX', ttlS)
return 1
