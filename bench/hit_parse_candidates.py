"""Session 12's candidates for READ_AND_LOG's checks without `cjson.decode` (bench/README.md,
"Session 12"): measured by `bench.hit_parts` against the script in service/customers/scripts.py
and not taken (no measurable gain). Both take only the layout our writer produces
(`CachedList.encode` and `encode_payload`: json.dumps's metadata line, orjson's header, keys in
that order) and answer a miss for anything else, so that they log only what the web layer
serves; each is the body after `_LOG` (its `log` function).
"""

# anchored `string.match` with captures, `gmatch`-free loops over the header's parts
MATCH_PARSE = r"""
local both = redis.call('MGET', KEYS[1], KEYS[2])
local profile, recs = both[1], both[2]
local function no() return {profile, recs, 0} end
if not profile or not recs then return no() end
local digest = string.match(profile, '"digest"%s*:%s*"([^"]*)"')
if not digest or string.find(digest, "[^%w]") then return no() end
local front = '{"fingerprint":"' .. ARGV[3] .. '","profile_digest":"' .. digest
  .. '","computed_at":'
if string.sub(recs, 1, #front) ~= front then return no() end
local computed, limit, at = string.match(recs,
  '^([1-9]%d*%.?%d*),"limit":(%d+)}\n()', #front + 1)
if not at or limit ~= ARGV[6] or string.byte(computed, -1) == 46
    or tonumber(ARGV[4]) - tonumber(computed) >= tonumber(ARGV[5]) then
  return no()
end
local locales, size, placed, start = string.match(recs,
  '^{"locales":{([^{}\n]*)},"impression":([1-9]%d*)([^\n]*)}\n()', at)
if not start then return no() end
local part, seen, asked, pos, offset = ARGV[7], {}, false, 1, start
while true do
  local _, last, name, bytes = string.find(locales, '^"([^"\\]*)":([1-9]%d*)', pos)
  if not last or seen[name] then return no() end
  seen[name] = true
  if name == part then asked = true end
  offset = offset + bytes
  pos = last + 2
  if pos > #locales then break end
  if string.byte(locales, pos - 1) ~= 44 then return no() end
end
if not asked or pos ~= #locales + 2 then return no() end
size = tonumber(size)
local total = offset + size
local found = ARGV[8] == ''
if placed ~= '' then
  if string.sub(placed, 1, 16) ~= ',"placements":[[' or string.byte(placed, -1) ~= 93 then
    return no()
  end
  seen, pos = {}, 16
  while true do
    local _, last, name, bytes = string.find(placed, '^%["([^"\\]*)",([1-9]%d*)%]', pos)
    if not last or seen[name] then return no() end
    seen[name] = true
    if not found and name == part then found, offset, size = true, total, tonumber(bytes) end
    total = total + bytes
    pos = last + 2
    if pos > #placed then break end
    if string.byte(placed, pos - 1) ~= 44 then return no() end
  end
  if pos ~= #placed + 1 then return no() end
end
if not found or total ~= #recs + 1 then return no() end
local id = log(KEYS[3], KEYS[4], ARGV[1], {'data', ARGV[2], 'imp',
  string.sub(recs, offset, offset + size - 1)})
if type(id) == 'table' and id['err'] then return id end
return {profile, recs, 1}
"""


# plain `string.find` compared in place (no captures, few strings made), positions only
FIND_PARSE = r"""
local both = redis.call('MGET', KEYS[1], KEYS[2])
local profile, recs = both[1], both[2]
local function no() return {profile, recs, 0} end
if not profile or not recs then return no() end
-- the profile's top-level digest (see WRITE_IF_CURRENT), letters and digits only
local _, open = string.find(profile, '"digest"%s*:%s*"')
if not open then return no() end
local _, close = string.find(profile, '^%w*"', open + 1)
if not close then return no() end
local digest = string.sub(profile, open + 1, close - 1)
-- the metadata line as CachedList.encode writes it, compared in place
local fingerprint, at = ARGV[3], 17
if string.find(recs, '{"fingerprint":"', 1, true) ~= 1
    or string.find(recs, fingerprint, at, true) ~= at then
  return no()
end
at = at + #fingerprint
if string.find(recs, '","profile_digest":"', at, true) ~= at then return no() end
at = at + 20
if string.find(recs, digest, at, true) ~= at then return no() end
at = at + #digest
if string.find(recs, '","computed_at":', at, true) ~= at then return no() end
local _, last = string.find(recs, '^[1-9]%d*%.?%d*,"limit":', at + 16)
if not last or string.byte(recs, last - 9) == 46 then return no() end
local computed = tonumber(string.sub(recs, at + 16, last - 9))
if not computed or tonumber(ARGV[4]) - computed >= tonumber(ARGV[5]) then return no() end
local limit = ARGV[6]
at = last + 1
if string.find(recs, limit, at, true) ~= at then return no() end
at = at + #limit
if string.find(recs, '}\n{"locales":{', at, true) ~= at then return no() end
at = at + 14
-- the header as CachedList.encode_payload writes it: the parts in order, sizes from 1
local part, seen, asked, locales = ARGV[7], {}, false, 0
while true do
  if string.byte(recs, at) ~= 34 then return no() end
  local _, quote = string.find(recs, '^[^"\\%c\128-\255]*"', at + 1)
  if not quote then return no() end
  local name = string.sub(recs, at + 1, quote - 1)
  local _, digits = string.find(recs, '^:[1-9]%d*', quote + 1)
  if not digits or seen[name] then return no() end
  seen[name] = true
  if name == part then asked = true end
  locales = locales + tonumber(string.sub(recs, quote + 2, digits))
  at = digits + 2
  local after = string.byte(recs, digits + 1)
  if after == 125 then break end
  if after ~= 44 then return no() end
end
if not asked or string.find(recs, ',"impression":', at, true) ~= at then return no() end
local _, digits = string.find(recs, '^[1-9]%d*', at + 14)
if not digits then return no() end
local impression = tonumber(string.sub(recs, at + 14, digits))
local offset, size, found, placed = locales, impression, ARGV[8] == '', 0
at = digits + 1
if string.byte(recs, at) == 44 then
  if string.find(recs, ',"placements":[', at, true) ~= at then return no() end
  at = at + 15
  seen = {}
  while true do
    if string.find(recs, '["', at, true) ~= at then return no() end
    local _, quote = string.find(recs, '^[^"\\%c\128-\255]*"', at + 2)
    if not quote then return no() end
    local name = string.sub(recs, at + 2, quote - 1)
    local _, close = string.find(recs, '^,[1-9]%d*%]', quote + 1)
    if not close or seen[name] then return no() end
    seen[name] = true
    local bytes = tonumber(string.sub(recs, quote + 2, close - 1))
    if not found and name == part then
      found, offset, size = true, locales + impression + placed, bytes
    end
    placed = placed + bytes
    at = close + 2
    local after = string.byte(recs, close + 1)
    if after == 93 then break end
    if after ~= 44 then return no() end
  end
end
-- the header ends here and its parts fill the rest of the entry exactly
if not found or string.find(recs, '}\n', at, true) ~= at
    or at + 2 + locales + impression + placed ~= #recs + 1 then
  return no()
end
offset = at + 2 + offset
local id = log(KEYS[3], KEYS[4], ARGV[1], {'data', ARGV[2], 'imp',
  string.sub(recs, offset, offset + size - 1)})
if type(id) == 'table' and id['err'] then return id end
return {profile, recs, 1}
"""
