// Lua scripts of the Redis registry: each runs atomically on the Redis server, with Redis's own
// clock (TIME), so nodes whose clocks disagree still agree on which entries have expired.

/** Redis time in ms; the first lines of every script that reads or writes expiry scores. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Keeps the per-call index alive at least as long as its newest member. */
const EXTEND_INDEX = `
local function extend(key, ttl)
  local pttl = redis.call('PTTL', key)
  if pttl < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * Admission. KEYS: call index (ZSET session_id → expiry ms), record, session→call index.
 * ARGV: session id, record JSON, TTL ms, max sessions per call (-1 = no limit), call id.
 * Drops expired members, counts the live ones and adds the session only under the limit.
 * Returns 1 when added, 0 when the call is full.
 */
export const RESERVE_LUA = `${NOW}${EXTEND_INDEX}
local ttl = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max >= 0 and redis.call('ZCARD', KEYS[1]) >= max then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('SET', KEYS[3], ARGV[5], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
extend(KEYS[1], ttl)
return 1
`;

/**
 * Re-writes a node's live sessions (records, metrics, indexes, TTLs), recreating lost entries.
 * KEYS: for each session, four keys: record, session→call index, call index, close flag.
 * ARGV: TTL ms, then for each session: session id, record JSON, call id.
 * A pending close flag keeps living as long as its session. Returns the number written.
 */
export const REFRESH_LUA = `${NOW}${EXTEND_INDEX}
local ttl = tonumber(ARGV[1])
local n = #KEYS / 4
for i = 0, n - 1 do
  local k = i * 4
  local a = i * 3 + 1
  redis.call('SET', KEYS[k + 1], ARGV[a + 2], 'PX', ttl)
  redis.call('SET', KEYS[k + 2], ARGV[a + 3], 'PX', ttl)
  redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
  redis.call('ZADD', KEYS[k + 3], now + ttl, ARGV[a + 1])
  extend(KEYS[k + 3], ttl)
  if redis.call('EXISTS', KEYS[k + 4]) == 1 then redis.call('PEXPIRE', KEYS[k + 4], ttl) end
end
return n
`;

/**
 * The live members of a call. KEYS: call index. Drops expired members first.
 * Returns the session ids.
 */
export const LIST_CALL_LUA = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Flags a session for close when its record exists. KEYS: record, close flag.
 * The flag lives as long as the record (the owner's refresh extends both).
 * Returns 1 when flagged, 0 when there is no such session.
 */
export const REQUEST_CLOSE_LUA = `
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return 0 end
if pttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', pttl) else redis.call('SET', KEYS[2], '1') end
return 1
`;
