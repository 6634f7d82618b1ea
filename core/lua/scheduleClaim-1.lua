--[[
  A worker claims a scheduled message that came due, unless it was cancelled first
  (scheduleCancel-1.lua). Claiming again (the worker died and the job runs again) is allowed.

  Input:
    KEYS[1] record     the message's schedule record (hash, see scheduleCancel-1.lua)

  Output:
    1 when the worker may send it (claimed now or before, or no record is left), 0 when cancelled.
]]
local key = KEYS[1]

local state = redis.call('HGET', key, 'state')
if state == 'cancelled' then return 0 end
if state == 'waiting' then redis.call('HSET', key, 'state', 'started') end
return 1
