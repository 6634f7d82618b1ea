--[[
  Deletes a claim only if it is still this request's (a takeover may have replaced it).

  Input:
    KEYS[1] claim      the idempotency key's claim (JSON)

    ARGV[1] messageId  the message of this request's claim

  Output:
    1 when deleted, 0 otherwise.
]]
local claimKey = KEYS[1]
local messageId = ARGV[1]

local stored = redis.call('GET', claimKey)
if stored and cjson.decode(stored).messageId == messageId then return redis.call('DEL', claimKey) end
return 0
