--[[
  Hourly cap as a sliding-window counter, a hash:
    window    the hour counted in (epoch ms / 1 h)
    count     sends in that hour
    previous  sends in the hour before it
  The sliding hour holds `count` plus the previous hour's sends weighted by the share of that hour
  still inside it.
]]
local HOUR_MS = 3600000

-- The counter as of now, hours rolled over: {window, count, previous, elapsedMs into the window}.
local function hourlyCounter(key, now)
  local window = math.floor(now / HOUR_MS)
  local stored = redis.call('HMGET', key, 'window', 'count', 'previous')
  local storedWindow, count, previous = tonumber(stored[1]), tonumber(stored[2]) or 0, tonumber(stored[3]) or 0
  if storedWindow ~= window then
    if storedWindow == window - 1 then previous = count else previous = 0 end
    count = 0
  end
  return { window = window, count = count, previous = previous, elapsedMs = now - window * HOUR_MS }
end

-- How many more sends fit under `limit` now.
local function hourlyRoom(counter, limit)
  return math.floor(limit - counter.previous * (HOUR_MS - counter.elapsedMs) / HOUR_MS - counter.count)
end

-- Milliseconds until one more send fits, with `count` sends in the current hour.
local function hourlyWaitMs(counter, limit, count)
  local wait
  if count + 1 <= limit then
    -- Within this hour, once enough of the previous one has slid out.
    wait = HOUR_MS - counter.elapsedMs - (limit - count - 1) * HOUR_MS / counter.previous
  else
    -- In the next hour, once enough of this one has slid out.
    wait = HOUR_MS - counter.elapsedMs + HOUR_MS * (1 - (limit - 1) / count)
  end
  return math.max(1, math.ceil(wait))
end

-- Counts `added` more sends in the current hour; the hash outlives the next hour.
local function hourlyAdd(key, counter, added)
  redis.call('HSET', key, 'window', counter.window, 'count', counter.count + added, 'previous', counter.previous)
  redis.call('PEXPIRE', key, 2 * HOUR_MS)
end
