/**
 * Lua scripts for the few steps that must read and write in one round trip. Each takes its keys
 * in KEYS and runs atomically in Redis.
 */

/**
 * KEYS: the user's seqs hash, the device's outbox. ARGV: deviceId, sessionId, afterSeq, kept ("1":
 * on a gap, what the outbox holds), capacity. Returns [status, events...]; status: "gone", "gap"
 * or "ok". The outbox may hold up to twice its capacity (it is trimmed lazily); only the newest
 * `capacity` count.
 */
export const eventsAfterScript = `
local seqs = redis.call('HMGET', KEYS[1], 's:' .. ARGV[1], 'n:' .. ARGV[1])
if not seqs[1] or seqs[1] ~= ARGV[2] then return {'gone'} end
local last = tonumber(seqs[2] or '0')
local after = tonumber(ARGV[3])
local capacity = tonumber(ARGV[5])
if after >= last then return {'ok'} end
local wanted = last - after
if wanted > capacity then
  if ARGV[4] ~= '1' then return {'gap'} end
  wanted = capacity
end
local events = redis.call('LRANGE', KEYS[2], -wanted, -1)
if #events < wanted and ARGV[4] ~= '1' then return {'gap'} end
local out = {'ok'}
for _, event in ipairs(events) do out[#out + 1] = event end
return out
`;

/**
 * One decision, checked and written in one atomic step (docs/architecture.md, "Cluster
 * decisions"). KEYS: every key the decision read or writes. ARGV, in order:
 * - checks: a count, then per record key read: its KEYS index, "1" and the stamp of the value
 *   read (its first 12 characters, record-stamps.ts), or "0" when it was absent; all are read
 *   back with MGET and must be unchanged;
 * - ranges: a count, then per sorted set read: its KEYS index, the last rank read (-1: its
 *   length was read) and what was read (ids joined by newlines, or the length);
 * - writes: per write a command name, a KEYS index (0: the command takes no key, e.g. PUBLISH)
 *   and a count of arguments, then the arguments. "delkeys" (KEYS indexes) and "msetkeys" (pairs
 *   of a KEYS index and a value) come first and delete, then set, string keys in one DEL and one
 *   MSET. "append" numbers messages into a device's
 *   outbox: KEYS index of the outbox; arguments: KEYS index of the seqs hash, deviceId,
 *   capacity, a channel to tell the node that holds the device ('' for none), the start of that
 *   message, then each message's JSON without its opening brace.
 * Returns {0} when something read changed (nothing is written), else {1, first seq of each
 * append, in order}.
 */
export const decideScript = `
local a = 1
local checks = tonumber(ARGV[a]); a = a + 1
local chunk = 500
for from = 0, checks - 1, chunk do
  local to = math.min(from + chunk, checks) - 1
  local keys = {}
  for i = from, to do keys[#keys + 1] = KEYS[tonumber(ARGV[a + i * 3])] end
  local values = redis.call('MGET', unpack(keys))
  for i = from, to do
    local at = a + i * 3
    local value = values[i - from + 1]
    if ARGV[at + 1] == '1' then
      if not value or string.sub(value, 1, 12) ~= ARGV[at + 2] then return {0} end
    elseif value then
      return {0}
    end
  end
end
a = a + checks * 3
local ranges = tonumber(ARGV[a]); a = a + 1
for i = 1, ranges do
  local key = KEYS[tonumber(ARGV[a])]
  local stop = tonumber(ARGV[a + 1])
  local read
  if stop < 0 then read = tostring(redis.call('ZCARD', key)) else read = table.concat(redis.call('ZRANGE', key, 0, stop), '\\n') end
  if read ~= ARGV[a + 2] then return {0} end
  a = a + 3
end
local out = {1}
while a <= #ARGV do
  local command = ARGV[a]
  local index = tonumber(ARGV[a + 1])
  local n = tonumber(ARGV[a + 2])
  a = a + 3
  if command == 'append' then
    local device = ARGV[a + 1]
    local capacity = tonumber(ARGV[a + 2])
    local count = n - 5
    local last = redis.call('HINCRBY', KEYS[tonumber(ARGV[a])], 'n:' .. device, count)
    local messages = {}
    for i = 1, count do messages[i] = '{"seq":' .. (last - count + i) .. ',' .. ARGV[a + 4 + i] end
    if redis.call('RPUSH', KEYS[index], unpack(messages)) > 2 * capacity then redis.call('LTRIM', KEYS[index], -capacity, -1) end
    if ARGV[a + 3] ~= '' then redis.call('PUBLISH', ARGV[a + 3], ARGV[a + 4] .. table.concat(messages, ',') .. ']}') end
    out[#out + 1] = last - count + 1
  elseif command == 'delkeys' or command == 'msetkeys' then
    local step = command == 'delkeys' and 1 or 2
    for from = 0, n - 1, 1000 do
      local args = {}
      for i = from, math.min(from + 1000, n) - 1, step do
        args[#args + 1] = KEYS[tonumber(ARGV[a + i])]
        if step == 2 then args[#args + 1] = ARGV[a + i + 1] end
      end
      redis.call(command == 'delkeys' and 'DEL' or 'MSET', unpack(args))
    end
  elseif index == 0 then
    redis.call(command, unpack(ARGV, a, a + n - 1))
  else
    redis.call(command, KEYS[index], unpack(ARGV, a, a + n - 1))
  end
  a = a + n
end
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
