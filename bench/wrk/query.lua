-- Query of one random partition that the PutItem run filled, which returns
-- its ten items (fewer in each writer thread's last partition).
-- Arguments after --: TABLE PREFIX WRITTEN (items per PutItem thread,
-- comma-separated)
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
  table_name = args[1] or "bench"
  prefix = args[2] or "k"
  written = bench.parse_written(args[3])
  math.randomseed(2000 + thread_id)
  sent = 0
end

function request()
  sent = sent + 1
  local writer = math.random(#written)
  local i = math.random(0, written[writer] - 1)
  local body = string.format(
    '{"TableName":"%s","KeyConditionExpression":"PK = :pk",'
      .. '"ExpressionAttributeValues":{":pk":{"S":"%s"}}}',
    table_name, bench.partition_key(prefix, writer - 1, i))
  return bench.format("Query", body)
end
