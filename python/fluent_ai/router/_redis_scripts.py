"""The Lua scripts of the Redis state: each runs atomically in Redis, with Redis's clock
(``TIME``), so every process and host counts in the same buckets. ``ADMIT`` is the rule of
``_windows.py`` (keep them identical)."""

from __future__ import annotations

__all__ = ["ADMIT", "COOL", "RELEASE", "VIEW"]

# KEYS: the budget hashes (bucket -> units), then the deployment's in-flight sorted set.
# ARGV: bucket width (s), buckets per window, budget TTL (ms), call id, call expiry (s),
#       the time ("" for Redis's own clock; a number only in the tests comparing this script
#       with _windows.py), then (amount, limit) per budget.
# Returns {1, bucket} when admitted, {0, seconds to wait} when not, {-1, 0} when a need is
# larger than its limit.
ADMIT = """
local now = tonumber(ARGV[6])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local width = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local cur = math.floor(now / width)
local n = #KEYS - 1
local wait = 0
for i = 1, n do
  local amount = tonumber(ARGV[5 + 2 * i])
  local limit = tonumber(ARGV[6 + 2 * i])
  if amount > limit then return {-1, '0'} end
  local flat = redis.call('HGETALL', KEYS[i])
  local live, stale, total = {}, {}, 0
  for j = 1, #flat, 2 do
    local b, v = tonumber(flat[j]), tonumber(flat[j + 1])
    if b < cur - nb then stale[#stale + 1] = flat[j]
    else live[#live + 1] = {b, v}; total = total + v end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[i], unpack(stale)) end
  local excess = total + amount - limit
  if excess > 0 then
    table.sort(live, function(x, y) return x[1] < y[1] end)
    for _, bv in ipairs(live) do
      excess = excess - bv[2]
      if excess <= 0 then
        local w = (bv[1] + nb + 1) * width - now
        if w > wait then wait = w end
        break
      end
    end
  end
end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, n do
  local amount = tonumber(ARGV[5 + 2 * i])
  if amount ~= 0 then redis.call('HINCRBY', KEYS[i], cur, amount) end
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
local flight = KEYS[n + 1]
redis.call('ZREMRANGEBYSCORE', flight, '-inf', now)
redis.call('ZADD', flight, now + tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', flight, math.ceil(tonumber(ARGV[5]) * 1000) + 1000)
return {1, tostring(cur)}
"""

# KEYS: the in-flight sorted set, then the budget hashes. ARGV: call id, bucket, then one
# correction (units, may be negative) per budget. A bucket that left the window is not touched.
RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  local d = tonumber(ARGV[i + 1])
  if d ~= 0 and redis.call('HEXISTS', KEYS[i], ARGV[2]) == 1 then
    if redis.call('HINCRBY', KEYS[i], ARGV[2], d) < 0 then
      redis.call('HSET', KEYS[i], ARGV[2], 0)
    end
  end
end
return 1
"""

# KEYS: n cooldown keys, then n in-flight sorted sets. Returns, per deployment, the cooldown
# left (ms, negative when none) and the calls in flight (those not past their expiry).
VIEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = #KEYS / 2
local out = {}
for i = 1, n do
  out[#out + 1] = redis.call('PTTL', KEYS[i])
  out[#out + 1] = redis.call('ZCOUNT', KEYS[n + i], '(' .. now, '+inf')
end
return out
"""

# KEYS: a cooldown key. ARGV: milliseconds. A longer cooldown already set is kept.
COOL = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""
