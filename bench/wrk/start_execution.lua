-- StartExecution of the state machine named by the MACHINE_ARN environment
-- variable with a small input and no name, so Stratus generates one. The
-- signature is a dummy that Stratus does not verify.
local arn = os.getenv("MACHINE_ARN")
local body = '{"stateMachineArn": "' .. arn .. '", "input": "{\\"n\\": 1}"}'

request = function()
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "AWSStepFunctions.StartExecution",
    ["X-Amz-Date"] = "20260101T000000Z",
    ["Authorization"] = "AWS4-HMAC-SHA256 "
      .. "Credential=123456789012/20260101/us-east-1/states/aws4_request, "
      .. "SignedHeaders=host;x-amz-date, Signature=" .. string.rep("0", 64),
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"errors\": %d, \"seconds\": %.3f, "
    .. "\"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
