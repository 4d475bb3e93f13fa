/**
 * Lua scripts for the few steps that must read and write in one round trip. Each takes its keys
 * in KEYS and runs atomically in Redis.
 */

/**
 * KEYS: the user's seq hash, the device's outbox. ARGV: deviceId, sessionId, afterSeq, kept ("1":
 * on a gap, what the outbox holds). Returns [status, events...]; status: "gone", "gap" or "ok".
 */
export const eventsAfterScript = `
local seq = redis.call('HGET', KEYS[1], ARGV[1])
if not seq then return {'gone'} end
local space = string.find(seq, ' ')
if string.sub(seq, 1, space - 1) ~= ARGV[2] then return {'gone'} end
local last = tonumber(string.sub(seq, space + 1))
local after = tonumber(ARGV[3])
if after >= last then return {'ok'} end
local wanted = last - after
local events = redis.call('LRANGE', KEYS[2], -wanted, -1)
if #events < wanted and ARGV[4] ~= '1' then return {'gap'} end
local out = {'ok'}
for _, event in ipairs(events) do out[#out + 1] = event end
return out
`;

/**
 * Claims due timers: moves each to a lease (so another node takes it over if this one dies
 * before handling it) and returns [key, input, lease, ...]. KEYS: timers, timerInputs.
 * ARGV: now, leaseUntil, limit.
 */
export const claimTimersScript = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, key in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], key)
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGET', KEYS[2], key) or ''
end
return out
`;

/** Forgets a handled timer unless a decision set it anew meanwhile. KEYS: timers, timerInputs. ARGV: key, lease. */
export const releaseTimerScript = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
`;
