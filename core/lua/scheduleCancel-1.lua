--[[
  Cancels a scheduled message if no worker has claimed it: the one atomic decision between a
  cancel and the worker that takes the message up when it comes due (scheduleClaim-1.lua).

  Input:
    KEYS[1] record     the message's schedule record (hash: state, bridgeId, poolId, recipients, sendAt)

    ARGV[1] bridgeId   only a message of this Bridge ('' for any)

  Output:
    nil when there is no record (or it is another Bridge's); otherwise
    { state before the call, bridgeId, poolId, recipients (JSON), sendAt }, where state 'waiting'
    means this call cancelled it, 'cancelled' that an earlier call did, 'started' that a worker
    claimed it first.
]]
local key = KEYS[1]
local bridgeId = ARGV[1]

local record = redis.call('HMGET', key, 'state', 'bridgeId', 'poolId', 'recipients', 'sendAt')
if not record[1] then return nil end
if bridgeId ~= '' and record[2] ~= bridgeId then return nil end
if record[1] == 'waiting' then redis.call('HSET', key, 'state', 'cancelled') end
return record
