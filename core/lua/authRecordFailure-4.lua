--[[
  Counts one failed authentication, atomically: for the (address, principal) pair, for the
  principal (its total and its set of failing addresses) and, for a principal that does not exist,
  for the address. Each counter's window starts at its first failure.

  Input:
    KEYS[1] pair       counter of the (address, principal) pair
    KEYS[2] principal  hash of the principal: failures, display
    KEYS[3] spread     set of the addresses that failed the principal
    KEYS[4] address    counter of the address, for principals that do not exist

    ARGV[1] address    the client's address
    ARGV[2] windowMs   lifetime of a counter from its first failure
    ARGV[3] display    the principal as shown to operators (never a secret)
    ARGV[4] known      '1' when the principal exists, '0' when not

  Output:
    {pair, pairTtlMs, principalFailures, spread, principalTtlMs, address, addressTtlMs}: the counts
    after this failure and the milliseconds left of their windows (address and addressTtlMs are 0
    for a principal that exists).
]]
local pairKey, principalKey, spreadKey, addressKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local address, windowMs, display, known = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'

local function bump(key)
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, windowMs) end
  return count
end

local pair = bump(pairKey)
local principalFailures = redis.call('HINCRBY', principalKey, 'failures', 1)
if principalFailures == 1 then
  redis.call('PEXPIRE', principalKey, windowMs)
  redis.call('HSET', principalKey, 'display', display)
end
redis.call('SADD', spreadKey, address)
if redis.call('PTTL', spreadKey) < 0 then redis.call('PEXPIRE', spreadKey, windowMs) end
local addressFailures, addressTtl = 0, 0
if not known then
  addressFailures = bump(addressKey)
  addressTtl = redis.call('PTTL', addressKey)
end
return {
  pair, redis.call('PTTL', pairKey),
  principalFailures, redis.call('SCARD', spreadKey), redis.call('PTTL', principalKey),
  addressFailures, addressTtl,
}
