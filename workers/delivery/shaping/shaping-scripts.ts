import { createHash } from 'node:crypto';

// The Lua scripts of the shaper (shaper.ts): each decision is one script, so
// checks and takes are atomic and all-or-nothing.

// Shared Lua: the clock, and the adaptive factor computed lazily from the stored halved factor `f`
// and suspension end `u` (recovery starts when the suspension ends).
const COMMON_LUA = `
local now = tonumber(ARGV[1])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local function factorAt(key, recovery)
  local a = redis.call('HMGET', key, 'f', 'u')
  local f, u = tonumber(a[1]), tonumber(a[2]) or 0
  if not f then return 1, 0 end
  if now > u then f = math.min(1, f + recovery * (now - u) / 60000) end
  return f, u
end
`;

// KEYS: ip bucket, ip hour, ip leases, dst bucket, dst leases, dst adaptive.
// ARGV: now, ip/s, ip/h, ip conns, dst/s, dst conns, recovery/min, lease ttl, lease id, conn retry.
// A rate or hourly limit of 0 is no limit: its check passes and its key is neither read nor written.
const ACQUIRE_LUA = `${COMMON_LUA}
local HOUR = 3600000
local ttl, retry = tonumber(ARGV[8]), tonumber(ARGV[10])
local ipRate, ipHour, dstRate = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local function bucket(key, perSecond)
  if perSecond <= 0 then return 0, 0, 0 end
  local rate, cap = perSecond / 1000, math.max(1, perSecond)
  local b = redis.call('HMGET', key, 't', 'ts')
  local t, ts = tonumber(b[1]), tonumber(b[2])
  if not t then t = cap else t = math.min(cap, t + math.max(0, now - ts) * rate) end
  if t >= 1 then return t, 0, math.ceil(cap / rate) end
  return t, math.ceil((1 - t) / rate), 0
end
-- Sliding-window counter: the previous hour's count weighted by its share still inside the window.
local function hourly(key, limit)
  if limit <= 0 then return 0, 0, 0, 0 end
  local win = math.floor(now / HOUR)
  local h = redis.call('HMGET', key, 'w', 'c', 'p')
  local w, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
  if w ~= win then
    if w == win - 1 then p = c else p = 0 end
    c = 0
  end
  local e = now - win * HOUR
  if p * (HOUR - e) / HOUR + c + 1 <= limit then return win, c, p, 0 end
  local wait
  if c + 1 <= limit then wait = HOUR - e - (limit - c - 1) * HOUR / p
  else wait = HOUR - e + HOUR * (1 - (limit - 1) / c) end
  return win, c, p, math.max(1, math.ceil(wait))
end
local function leases(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) < limit then return 0 end
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, math.min(retry, math.ceil(tonumber(first[2]) - now)))
end
local f, u = factorAt(KEYS[6], tonumber(ARGV[7]))
local best, reason = 0, ''
local function check(r, wait) if wait > best then best, reason = wait, r end end
check('suspended', u - now)
local ipT, ipWait, ipFull = bucket(KEYS[1], ipRate)
check('ip-rate', ipWait)
local win, c, p, hourWait = hourly(KEYS[2], ipHour)
check('ip-hourly', hourWait)
check('ip-connections', leases(KEYS[3], tonumber(ARGV[4])))
local dT, dWait, dFull = bucket(KEYS[4], dstRate * f)
check('destination-rate', dWait)
check('destination-connections', leases(KEYS[5], math.max(1, math.floor(tonumber(ARGV[6]) * f))))
if reason ~= '' then return {0, reason, math.ceil(best)} end
if ipRate > 0 then
  redis.call('HSET', KEYS[1], 't', tostring(ipT - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], ipFull + 1000)
end
if ipHour > 0 then
  redis.call('HSET', KEYS[2], 'w', win, 'c', c + 1, 'p', p)
  redis.call('PEXPIRE', KEYS[2], 2 * HOUR)
end
if dstRate > 0 then
  redis.call('HSET', KEYS[4], 't', tostring(dT - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[4], dFull + 1000)
end
for _, key in ipairs({KEYS[3], KEYS[5]}) do
  redis.call('ZADD', key, now + ttl, ARGV[9])
  redis.call('PEXPIRE', key, ttl + 1000)
end
return {1}
`;

// Grants up to one token and lease each for several sends at once (acquires coalesced in one tick):
// the same checks as ACQUIRE, counted instead of tested for one, so it never grants more than that
// many single calls would. Returns {n}: the first n lease ids were granted, the others nothing.
// KEYS: as ACQUIRE. ARGV: now, ip/s, ip/h, ip conns, dst/s, dst conns, recovery/min, lease ttl, then the
// lease ids. A rate or hourly limit of 0 is no limit, as in ACQUIRE.
const ACQUIRE_MANY_LUA = `${COMMON_LUA}
local HOUR = 3600000
local FIXED = 8
local ttl = tonumber(ARGV[8])
local ipRate, ipHour, dstRate = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local function tokens(key, perSecond)
  if perSecond <= 0 then return math.huge, 0 end
  local rate, cap = perSecond / 1000, math.max(1, perSecond)
  local b = redis.call('HMGET', key, 't', 'ts')
  local t, ts = tonumber(b[1]), tonumber(b[2])
  if not t then t = cap else t = math.min(cap, t + math.max(0, now - ts) * rate) end
  return t, math.ceil(cap / rate)
end
local function free(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return limit - redis.call('ZCARD', key)
end
local f, u = factorAt(KEYS[6], tonumber(ARGV[7]))
if u > now then return {0} end
local n = #ARGV - FIXED
local ipT, ipFull = tokens(KEYS[1], ipRate)
n = math.min(n, math.floor(ipT))
local win, c, p = math.floor(now / HOUR), 0, 0
if ipHour > 0 then
  local h = redis.call('HMGET', KEYS[2], 'w', 'c', 'p')
  local w = tonumber(h[1])
  c, p = tonumber(h[2]) or 0, tonumber(h[3]) or 0
  if w ~= win then
    if w == win - 1 then p = c else p = 0 end
    c = 0
  end
  n = math.min(n, math.floor(ipHour - p * (HOUR - (now - win * HOUR)) / HOUR - c))
end
n = math.min(n, free(KEYS[3], tonumber(ARGV[4])))
local dT, dFull = tokens(KEYS[4], dstRate * f)
n = math.min(n, math.floor(dT))
n = math.min(n, free(KEYS[5], math.max(1, math.floor(tonumber(ARGV[6]) * f))))
if n < 1 then return {0} end
if ipRate > 0 then
  redis.call('HSET', KEYS[1], 't', tostring(ipT - n), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], ipFull + 1000)
end
if ipHour > 0 then
  redis.call('HSET', KEYS[2], 'w', win, 'c', c + n, 'p', p)
  redis.call('PEXPIRE', KEYS[2], 2 * HOUR)
end
if dstRate > 0 then
  redis.call('HSET', KEYS[4], 't', tostring(dT - n), 'ts', now)
  redis.call('PEXPIRE', KEYS[4], dFull + 1000)
end
local members = {}
for i = 1, n do
  members[#members + 1] = now + ttl
  members[#members + 1] = ARGV[FIXED + i]
end
for _, key in ipairs({KEYS[3], KEYS[5]}) do
  redis.call('ZADD', key, unpack(members))
  redis.call('PEXPIRE', key, ttl + 1000)
end
return {n}
`;

// KEYS: dst adaptive. ARGV: now, recovery/min, suspend ms, floor. Deferrals arriving while the pair
// is already suspended come from connections opened before: one burst halves the factor once.
const DEFER_LUA = `${COMMON_LUA}
local recovery = tonumber(ARGV[2])
local f, u = factorAt(KEYS[1], recovery)
if u > now then return 0 end
f = math.max(tonumber(ARGV[4]), f / 2)
u = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'f', tostring(f), 'u', u)
redis.call('PEXPIRE', KEYS[1], u - now + math.ceil((1 - f) / recovery * 60000) + 1000)
return 1
`;

// KEYS: dst adaptive. ARGV: now, recovery/min.
const STATE_LUA = `${COMMON_LUA}
local f, u = factorAt(KEYS[1], tonumber(ARGV[2]))
return {tostring(f), math.max(0, u - now)}
`;

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  lua: string;
  sha: string;
}
/** KEYS of both acquire scripts, in their order. */
export const acquireKeys = (k: Record<'ipRate' | 'ipHour' | 'ipConns' | 'dstRate' | 'dstConns' | 'dstAdaptive', string>) => [
  k.ipRate,
  k.ipHour,
  k.ipConns,
  k.dstRate,
  k.dstConns,
  k.dstAdaptive,
];
const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
export const ACQUIRE = script(ACQUIRE_LUA);
export const ACQUIRE_MANY = script(ACQUIRE_MANY_LUA);
export const DEFER = script(DEFER_LUA);
export const STATE = script(STATE_LUA);
