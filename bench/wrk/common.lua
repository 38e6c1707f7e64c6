-- Shared parts of the DynamoDB wrk scripts: request framing, the key layout
-- and the per-thread counters.
--
-- Every request carries the headers of a SigV4-signed DynamoDB JSON 1.0
-- call with a dummy signature, because no server under test verifies it.
-- Item i of wrk thread t lives at PK "<prefix>-<t>-<i // 10>" and
-- SK "<i % 10>" (zero-padded), so each partition contains ten items for Query.
-- wrk calls request() once on thread 0 to check the script before the run,
-- so that thread never sends its item 0 and its "sent" count is one high.

bench = {}

bench.items_per_partition = 10

local headers = {
  ["Content-Type"] = "application/x-amz-json-1.0",
  ["X-Amz-Date"] = "20260101T000000Z",
  ["Authorization"] = "AWS4-HMAC-SHA256 "
    .. "Credential=AKIDBENCHMARK/20260101/us-east-1/dynamodb/aws4_request, "
    .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    .. "Signature=" .. string.rep("0", 64),
}

-- Format one POST of operation target (such as "PutItem") with a JSON body.
function bench.format(target, body)
  headers["X-Amz-Target"] = "DynamoDB_20120810." .. target
  return wrk.format("POST", "/", headers, body)
end

function bench.partition_key(prefix, thread_id, i)
  return string.format("%s-%d-%d", prefix, thread_id,
                       math.floor(i / bench.items_per_partition))
end

function bench.sort_key(i)
  return string.format("%06d", i % bench.items_per_partition)
end

-- Parse the "written" argument, a comma-separated count of items that each
-- thread of the PutItem run wrote, such as "51234,50987".
function bench.parse_written(text)
  local counts = {}
  for count in string.gmatch(text or "", "%d+") do
    counts[#counts + 1] = tonumber(count)
  end
  assert(#counts > 0, "missing written counts: pass them after --")
  return counts
end

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  threads[#threads + 1] = thread
end

-- Print machine-readable lines for bench.py next to wrk's own report:
-- the requests each thread sent and the latency percentiles in microseconds.
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    counts[#counts + 1] = tostring(thread:get("sent") or 0)
  end
  io.write("BENCH sent ", table.concat(counts, ","), "\n")
  io.write(string.format("BENCH latency_us p50=%d p99=%d max=%d mean=%.1f\n",
                         latency:percentile(50), latency:percentile(99),
                         latency.max, latency.mean))
  io.write(string.format("BENCH summary requests=%d duration_us=%d "
                         .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
                         summary.requests, summary.duration,
                         summary.errors.connect, summary.errors.read,
                         summary.errors.write, summary.errors.status,
                         summary.errors.timeout))
end

