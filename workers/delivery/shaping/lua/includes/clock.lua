--[[
  The clock of a decision, in epoch milliseconds: the caller's when it passes one (tests), else the
  Redis server's, which every worker process shares.
]]
local function clockMs(given)
  local ms = tonumber(given)
  if ms then return ms end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
