-- PutItem with a new key on every request.
-- Arguments after --: TABLE PREFIX
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local payload = string.rep("x", 100)

function init(args)
  table_name = args[1] or "bench"
  prefix = args[2] or "k"
  sent = 0
end

function request()
  local i = sent
  sent = i + 1
  local body = string.format(
    '{"TableName":"%s","Item":{"PK":{"S":"%s"},"SK":{"S":"%s"},'
      .. '"payload":{"S":"%s"},"n":{"N":"%d"}}}',
    table_name, bench.partition_key(prefix, thread_id, i), bench.sort_key(i),
    payload, i)
  return bench.format("PutItem", body)
end
