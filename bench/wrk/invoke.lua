-- A RequestResponse Invoke of the function named by the FUNCTION
-- environment variable with the event {}, signed with a dummy signature
-- that Stratus does not verify.
local name = os.getenv("FUNCTION") or "noop"

request = function()
  return wrk.format("POST", "/2015-03-31/functions/" .. name .. "/invocations", {
    ["Content-Type"] = "application/json",
    ["X-Amz-Date"] = "20260101T000000Z",
    ["Authorization"] = "AWS4-HMAC-SHA256 "
      .. "Credential=AKIDBENCHMARK/20260101/us-east-1/lambda/aws4_request, "
      .. "SignedHeaders=host;x-amz-date, Signature=" .. string.rep("0", 64),
  }, "{}")
end

done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"errors\": %d, \"seconds\": %.3f, "
    .. "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
