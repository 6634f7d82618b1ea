--[[
  Updates a claim still pending for a message, its TTL kept.

  Input:
    KEYS[1] claim      the idempotency key's claim (JSON: state, messageId, until, taken)

    ARGV[1] messageId  the message the claim must be for
    ARGV[2] change     'taken': a worker took the message up (once); 'done': settled

  Output:
    1 when the claim changed, 0 when it is gone, settled, for another message, or already taken.
]]
local claimKey = KEYS[1]
local messageId, change = ARGV[1], ARGV[2]

local stored = redis.call('GET', claimKey)
if not stored then return 0 end
local claim = cjson.decode(stored)
if claim.state ~= 'pending' or claim.messageId ~= messageId then return 0 end
if change == 'taken' then
  if claim.taken then return 0 end
  claim.taken = true
elseif change == 'done' then
  claim.state = 'done'
  claim['until'] = nil
  claim.taken = nil
else
  return redis.error_reply('idempotencyUpdatePending: unknown change ' .. tostring(change))
end
redis.call('SET', claimKey, cjson.encode(claim), 'KEEPTTL')
return 1
