--[[
  Gives back messages taken by bridgeLimitTake-3.lua whose acceptance then failed (a suppressed
  recipient, an idempotency conflict, the queue down), in the windows they were taken in only.

  Input:
    KEYS[1] counts   the Bridge's window counts (see bridgeLimitTake-3.lua)

    ARGV[1] nowMs    the server time bridgeLimitTake returned
    ARGV[2] count    messages to give back

  Output:
    the number of windows given back to
]]
local countsKey = KEYS[1]
local at = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local names = { 'perSecond', 'perMinute', 'perHour', 'perDay' }
local sizes = { 1000, 60000, 3600000, 86400000 }

local given = 0
for i = 1, 4 do
  if tonumber(redis.call('HGET', countsKey, names[i] .. ':w')) == math.floor(at / sizes[i]) then
    local used = tonumber(redis.call('HGET', countsKey, names[i] .. ':n')) or 0
    redis.call('HSET', countsKey, names[i] .. ':n', math.max(0, used - count))
    given = given + 1
  end
end
return given
