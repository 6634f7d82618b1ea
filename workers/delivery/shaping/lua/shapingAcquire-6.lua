--[[
  Takes one message token and one connection slot per IP and per (IP, rollup) for each lease id,
  in order, as far as every limit allows: the first `granted` lease ids hold a slot, the others
  take nothing. The acquires of one tick come here together, and get what as many single calls in
  a row would.

  Input:
    KEYS[1] ipBucket           token bucket of the IP (includes/tokenBucket)
    KEYS[2] ipHourly           hourly counter of the IP (includes/hourlyWindow)
    KEYS[3] ipLeases           connection leases of the IP (includes/connectionLeases)
    KEYS[4] destinationBucket  token bucket of the (IP, rollup) pair
    KEYS[5] destinationLeases  connection leases of the pair
    KEYS[6] adaptive           adaptive backoff of the pair (includes/adaptiveFactor)

    ARGV[1]  nowMs                   '' for the Redis server's clock
    ARGV[2]  ipPerSecond             0: no limit
    ARGV[3]  ipPerHour               0: no limit
    ARGV[4]  ipConnections
    ARGV[5]  destinationPerSecond    0: no limit; times the adaptive factor
    ARGV[6]  destinationConnections  times the adaptive factor, at least 1
    ARGV[7]  recoveryPerMinute       of the adaptive factor
    ARGV[8]  leaseTtlMs              a slot held longer is reclaimed
    ARGV[9]  connectionRetryMs       longest wait answered for a full connection set
    ARGV[10…] leaseIds               one per acquire

  Output:
    {granted, reason, retryInMs}: why the first lease id not granted is refused, and for how long
    (the longest wait among the limits it exceeds); '' and 0 when every lease id is granted.
]]
--- @include "includes/clock"
--- @include "includes/adaptiveFactor"
--- @include "includes/tokenBucket"
--- @include "includes/hourlyWindow"
--- @include "includes/connectionLeases"

local ipBucket, ipHourly, ipLeases = KEYS[1], KEYS[2], KEYS[3]
local destinationBucket, destinationLeases, adaptive = KEYS[4], KEYS[5], KEYS[6]
local now = clockMs(ARGV[1])
local ipPerSecond, ipPerHour, ipConnections = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local recoveryPerMinute, leaseTtlMs, connectionRetryMs = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local leaseIds = { unpack(ARGV, 10) }

local factor, suspendedUntil = adaptiveFactor(adaptive, now, recoveryPerMinute)
local destinationPerSecond = tonumber(ARGV[5]) * factor
local destinationConnections = math.max(1, math.floor(tonumber(ARGV[6]) * factor))

-- What each limit leaves now; a limit of 0 is neither read nor written.
local ipTokens = bucketTokens(ipBucket, ipPerSecond, now)
local hour, hourRoom = nil, math.huge
if ipPerHour > 0 then
  hour = hourlyCounter(ipHourly, now)
  hourRoom = hourlyRoom(hour, ipPerHour)
end
local ipFree = freeLeases(ipLeases, ipConnections, now)
local destinationTokens = bucketTokens(destinationBucket, destinationPerSecond, now)
local destinationFree = freeLeases(destinationLeases, destinationConnections, now)

local granted = #leaseIds
if suspendedUntil > now then granted = 0 end
granted = math.min(granted, math.floor(ipTokens), hourRoom, ipFree, math.floor(destinationTokens), destinationFree)
granted = math.max(0, granted)

if granted > 0 then
  bucketTake(ipBucket, ipPerSecond, ipTokens, granted, now)
  if hour then hourlyAdd(ipHourly, hour, granted) end
  bucketTake(destinationBucket, destinationPerSecond, destinationTokens, granted, now)
  addLeases(ipLeases, leaseIds, granted, now, leaseTtlMs)
  addLeases(destinationLeases, leaseIds, granted, now, leaseTtlMs)
end
if granted == #leaseIds then return { granted, '', 0 } end

-- The next lease id exceeds one limit or more: answer the one that clears last (the first on a tie).
local reason, retryInMs = '', 0
local function exceeds(name, waitMs)
  if waitMs > retryInMs then reason, retryInMs = name, waitMs end
end
if suspendedUntil > now then exceeds('suspended', suspendedUntil - now) end
if math.floor(ipTokens) - granted < 1 then exceeds('ip-rate', bucketWaitMs(ipTokens - granted, ipPerSecond)) end
if hourRoom - granted < 1 then exceeds('ip-hourly', hourlyWaitMs(hour, ipPerHour, hour.count + granted)) end
if ipFree - granted < 1 then exceeds('ip-connections', leaseWaitMs(ipLeases, now, connectionRetryMs)) end
if math.floor(destinationTokens) - granted < 1 then
  exceeds('destination-rate', bucketWaitMs(destinationTokens - granted, destinationPerSecond))
end
if destinationFree - granted < 1 then
  exceeds('destination-connections', leaseWaitMs(destinationLeases, now, connectionRetryMs))
end
return { granted, reason, math.ceil(retryInMs) }
