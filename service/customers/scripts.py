"""The Lua scripts the Redis store runs (store.py): each is one round trip, atomic in Redis."""

RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Logging an impression: the stream entry and the customer's index of it (erasure finds every
# entry by it); one round trip. Nothing is written when the index is of an older type (a list):
# the entry just added is deleted again and the caller converts the index and calls again.
# The index lists every entry of the customer the stream holds, and is trimmed to them (entries
# that left the stream, by MAXLEN or an export, leave it) whenever its size reaches a multiple
# of TRIM_EVERY: it holds at most TRIM_EVERY - 1 entries more than the customer had in the
# stream at its last trim. Trimming on every hit (XRANGE and ZREMRANGEBYSCORE) and the TYPE check
# before it (a failed ZADD undoes the entry instead) were about a fifth of a cache hit's Redis
# CPU (bench/README.md, session 10). The two GETs of READ_AND_LOG are one MGET for the same reason.
# KEYS: stream, index; ARGV: maxlen, then the entry's fields and values.
TRIM_EVERY = 32
_LOG = """
local function log(stream, index, maxlen, fields)
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  local added = redis.pcall('ZADD', index, tonumber(string.match(id, '^(%d+)')), id)
  if type(added) == 'table' and added['err'] then
    redis.call('XDEL', stream, id)
    if string.find(added['err'], 'WRONGTYPE', 1, true) then
      local kind = redis.call('TYPE', index)['ok']
      return redis.error_reply('WRONGTYPE the index is a ' .. kind .. ': convert it first')
    end
    return redis.error_reply(added['err'])
  end
  if redis.call('ZCARD', index) % TRIM_EVERY == 0 then
    local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
    if first[1] then
      redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. string.match(first[1][1], '^(%d+)'))
    end
  end
  return id
end
""".replace("TRIM_EVERY", str(TRIM_EVERY))
LOG_IMPRESSION = (
    _LOG
    + """
return log(KEYS[1], KEYS[2], ARGV[1], {'data', ARGV[2]})
"""
)

# The impressions of cache hits a web process answered from its own memory (local_hits.py), in
# one call: each as READ_AND_LOG logs one ({'data': head, 'imp': the list's impression part}),
# unless the customer's profile is gone (erased after the hit: nothing of it is written again).
# KEYS: stream, then per hit its index and its profile; ARGV: maxlen, then per hit its head and
# part. Returns the positions (1-based) of the hits not logged because their index is of an
# older type (the caller converts it and logs those again).
LOG_HITS = (
    _LOG
    + """
local older = {}
for i = 1, (#KEYS - 1) / 2 do
  if redis.call('EXISTS', KEYS[2 * i + 1]) == 1 then
    local fields = {'data', ARGV[2 * i], 'imp', ARGV[2 * i + 1]}
    local id = log(KEYS[1], KEYS[2 * i], ARGV[1], fields)
    if type(id) == 'table' and id['err'] then
      if not string.find(id['err'], 'WRONGTYPE', 1, true) then return id end
      older[#older + 1] = i
    end
  end
end
return older
"""
)

# The cache hit in one round trip (service/api/fast_path.py): the customer's profile and list,
# and, when the list is a hit (the checks of refresh.fresh_list on the same values: fingerprint,
# profile digest, age; then the limit and list asked, and an impression part), its impression
# logged. The web layer decides what to answer from the values returned, as without logging.
# KEYS: profile, recs, stream, index; ARGV: maxlen, head, fingerprint, now, max_age, limit,
# part (the locale, or `locale@placement` for a placement's list; with no locale before it, ''
# or `@placement`: the list's own, the one locale without `@` its header names, which the
# refresh writes in the customer's shop language, review 22 F3), placement ('' for the plain
# list: its impression part; else the placement's, found by name in the header's `placements`
# after the plain one, issue 11). Returns {profile, recs, 1 when logged else 0}.
READ_AND_LOG = (
    _LOG
    + """
local both = redis.call('MGET', KEYS[1], KEYS[2])
local profile, recs = both[1], both[2]
local function no() return {profile, recs, 0} end
if not profile or not recs then return no() end
-- the top-level digest: inside a JSON string a quote is escaped, so only the key matches
local digest = string.match(profile, '"digest"%s*:%s*"([^"]*)"')
local first = string.find(recs, '\\n', 1, true)
if not digest or not first then return no() end
local second = string.find(recs, '\\n', first + 1, true)
if not second then return no() end
local ok, meta = pcall(cjson.decode, string.sub(recs, 1, first - 1))
if not ok or type(meta) ~= 'table' or meta['fingerprint'] ~= ARGV[3]
    or meta['profile_digest'] ~= digest or type(meta['computed_at']) ~= 'number'
    or tonumber(ARGV[4]) - meta['computed_at'] >= tonumber(ARGV[5])
    or meta['limit'] ~= tonumber(ARGV[6]) then
  return no()
end
local fine, header = pcall(cjson.decode, string.sub(recs, first + 1, second - 1))
if not fine or type(header) ~= 'table' or type(header['locales']) ~= 'table' then return no() end
local want = ARGV[7]
if want == '' or string.sub(want, 1, 1) == '@' then
  local own = nil
  for name, _ in pairs(header['locales']) do
    if not string.find(name, '@', 1, true) then
      if own then return no() end
      own = name
    end
  end
  if not own then return no() end
  want = own .. want
end
if not header['locales'][want] or type(header['impression']) ~= 'number' then return no() end
local offset = second + 1
for _, size in pairs(header['locales']) do offset = offset + size end
local size = header['impression']
if ARGV[8] ~= '' then
  if type(header['placements']) ~= 'table' then return no() end
  offset = offset + size
  size = nil
  for _, placed in ipairs(header['placements']) do
    if type(placed) ~= 'table' or type(placed[2]) ~= 'number' then return no() end
    if placed[1] == want then size = placed[2] break end
    offset = offset + placed[2]
  end
  if not size then return no() end
end
local part = string.sub(recs, offset, offset + size - 1)
local id = log(KEYS[3], KEYS[4], ARGV[1], {'data', ARGV[2], 'imp', part})
if type(id) == 'table' and id['err'] then return id end  -- an index to convert first
return {profile, recs, 1}
"""
)


# Write a refreshed list only while the customer's stored profile is the one it was computed
# from: a refresh that read the profile before a DELETE (or a PUT) must not write it back after.
# The digest is found without decoding the profile (a refresh writes a list per customer; not
# decoding each profile again took Redis from 38 to 31 µs of CPU per customer): the first
# `"digest": "..."` of the entry is its top-level key, since a quote inside a JSON string is
# escaped and no profile field is named so.
WRITE_IF_CURRENT = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
if string.match(stored, '"digest"%s*:%s*"([^"]*)"') ~= ARGV[1] then return 0 end
if KEYS[3] and (redis.call('LINDEX', KEYS[3], -1) or '') ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""

# WRITE_IF_CURRENT for the customers of one refreshed profile at once (issue 16: a refresh sends
# each distinct list once, not once per customer): KEYS are (profile, recs) pairs, ARGV digest,
# value, TTL; each pair is checked and written as WRITE_IF_CURRENT does. Returns the count.
# With a third key per customer, its purchase history (KEYS triples; ARGV then one more per
# customer: the newest purchase the refresh read, '' for none), a list is written only while
# that is still the newest: a purchase made while the list was computed (and so not counted in
# it) dropped the cached list, and a refresh that read the history before it must not write
# the list back (review 25: the list could then suggest what the new supply already gives).
WRITE_MANY_IF_CURRENT = """
local written = 0
local step = tonumber(ARGV[4])
for i = 1, #KEYS, step do
  local stored = redis.call('GET', KEYS[i])
  local current = stored and string.match(stored, '"digest"%s*:%s*"([^"]*)"') == ARGV[1]
  if current and step == 3 then
    local newest = redis.call('LINDEX', KEYS[i + 2], -1) or ''
    current = newest == ARGV[5 + (i - 1) / 3]
  end
  if current then
    redis.call('SET', KEYS[i + 1], ARGV[2], 'EX', ARGV[3])
    written = written + 1
  end
end
return written
"""
