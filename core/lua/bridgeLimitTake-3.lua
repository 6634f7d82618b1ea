--[[
  Takes one message (or `count`) from every sending limit of a Bridge, all or none: fixed windows
  aligned on the Redis server's clock (TIME), so every ingress process counts in the same windows.
  A window holds exactly its limit; across the boundary of two windows a client may get a limit at
  the end of one and a limit at the start of the next (the burst: at most twice the limit within
  one window's length).

  Input:
    KEYS[1] counts     the Bridge's window counts (hash: "<limit>:w" window number, "<limit>:n" count)
    KEYS[2] totals     refusals of every Bridge (hash: "<bridgeId> <limit>" → count), for metrics
    KEYS[3] daily      the Bridge's refusals per UTC day (hash: day number → count), for stats

    ARGV[1] bridge id
    ARGV[2] perSecond  limit, 0 when none
    ARGV[3] perMinute
    ARGV[4] perHour
    ARGV[5] perDay
    ARGV[6] count      messages to take
    ARGV[7] retentionMs of the daily refusals

  Output:
    {1, nowMs}                         taken (nowMs: the server time the windows were read at)
    {0, limit, retryAfterMs, max}      refused: the limit whose window ends last among those full
]]
local countsKey, totalsKey, dailyKey = KEYS[1], KEYS[2], KEYS[3]
local bridgeId = ARGV[1]
local count = tonumber(ARGV[6])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local names = { 'perSecond', 'perMinute', 'perHour', 'perDay' }
local sizes = { 1000, 60000, 3600000, 86400000 }

local windows = {}
local worst, worstWait = nil, -1
for i = 1, 4 do
  local max = tonumber(ARGV[i + 1])
  if max > 0 then
    local window = math.floor(now / sizes[i])
    local used = 0
    if tonumber(redis.call('HGET', countsKey, names[i] .. ':w')) == window then
      used = tonumber(redis.call('HGET', countsKey, names[i] .. ':n')) or 0
    end
    windows[i] = { window, used }
    if used + count > max then
      local wait = (window + 1) * sizes[i] - now
      if wait > worstWait then worst, worstWait = i, wait end
    end
  end
end

if worst then
  redis.call('HINCRBY', totalsKey, bridgeId .. ' ' .. names[worst], count)
  redis.call('HINCRBY', dailyKey, tostring(math.floor(now / 86400000)), count)
  redis.call('PEXPIRE', dailyKey, tonumber(ARGV[7]))
  return { 0, names[worst], worstWait, tonumber(ARGV[worst + 1]) }
end

for i = 1, 4 do
  local w = windows[i]
  if w then redis.call('HSET', countsKey, names[i] .. ':w', w[1], names[i] .. ':n', w[2] + count) end
end
-- The longest window is a day: nothing older is ever read.
redis.call('PEXPIRE', countsKey, 86400000 + 60000)
return { 1, now }
