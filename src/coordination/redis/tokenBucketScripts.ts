import { LuaScript } from './LuaScript';

/**
 * A token bucket in one hash (`tokens`, `at`), shared by every instance. `at` is the time up to which
 * tokens have been counted; it lies in the future while the bucket is paused. Time is Redis's own clock
 * (TIME), so instances whose clocks disagree still share one rate.
 *
 * KEYS[1] = the bucket; ARGV[1] = tokens per ms, ARGV[2] = burst, ARGV[3] = see each script.
 */
const BUCKET = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
  -- once full again the bucket is the same as a missing one, so it need not outlive that moment
  redis.call('PEXPIRE', KEYS[1], math.ceil(at - now + (burst - tokens) / rate) + 1)
end
`;

/**
 * ARGV[3] = how many turns are wanted. Grants as many as there are whole tokens (never more than wanted)
 * and returns {granted, ms until the next token}; the wait is 0 when all were granted.
 */
export const TAKE_TOKENS = new LuaScript(`${BUCKET}
local wanted = tonumber(ARGV[3])
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
save()
if granted == wanted then return {granted, 0} end
return {granted, math.ceil(at - now + (1 - tokens) / rate)}
`);

/** ARGV[3] = ms to issue nothing for. Extends a pause, never shortens one. */
export const PAUSE_BUCKET = new LuaScript(`${BUCKET}
local pause_until = now + tonumber(ARGV[3])
if pause_until > at then
  -- tokens saved up before the upstream complained would be spent in one burst right after the pause
  tokens = 0
  at = pause_until
  save()
end
`);
