#!/usr/bin/env bash
# Benchmark Lambda Invoke round trips on Stratus for a no-op Node.js
# handler and a no-op C custom runtime. The cold start is the first Invoke
# after CreateFunction, which starts the environment. The warm p50/p99 come
# from wrk on one connection.
#
# Builds a Release stratus and the C runtime client in build-bench/
# (set STRATUS_BIN and C_BOOTSTRAP to use existing binaries), prints a
# Markdown table and writes JSON to bench/results/lambda-<time>.json.
#
# Usage: bench/lambda.sh [DURATION_SECONDS] (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${1:-10}
cold_runs=5

command -v wrk >/dev/null || { echo "lambda.sh: install wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${STRATUS_BIN:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSTRATUS_TESTS=OFF >/dev/null
  cmake --build build-bench -j"$(nproc)" --target stratus lambda_c_bootstrap >/dev/null
  STRATUS_BIN=$root/build-bench/stratus
  C_BOOTSTRAP=$root/build-bench/lambda_c_bootstrap
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/node" "$work/c"
echo 'export const handler = async () => ({});' >"$work/node/index.mjs"
ln -s "$C_BOOTSTRAP" "$work/c/bootstrap"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STRATUS_LOG_LEVEL=warn "$STRATUS_BIN" serve --in-memory --no-stack --api-port off \
  --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/_stratus/health" >/dev/null && break
  sleep 0.05
done

export AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1
endpoint="http://127.0.0.1:$port"

# Create function NAME with runtime RUNTIME from directory DIR and print
# the milliseconds of its first Invoke.
cold_start() {
  local name=$1 runtime=$2 dir=$3
  python3 - "$endpoint" "$name" "$runtime" "$dir" <<'PY'
import http.client, json, sys, time
endpoint, name, runtime, code = sys.argv[1:]
host, port = endpoint.split("//")[1].split(":")
auth = ("AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20260101/us-east-1/lambda/"
        "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)
conn = http.client.HTTPConnection(host, int(port))
body = json.dumps({"FunctionName": name, "Runtime": runtime,
                   "Role": "arn:aws:iam::123456789012:role/bench",
                   "Handler": "index.handler", "Code": {"Directory": code}})
conn.request("POST", "/2015-03-31/functions", body, {"Authorization": auth})
r = conn.getresponse(); r.read()
assert r.status == 201, r.status
start = time.perf_counter()
conn.request("POST", f"/2015-03-31/functions/{name}/invocations", "{}", {"Authorization": auth})
r = conn.getresponse(); payload = r.read()
elapsed = (time.perf_counter() - start) * 1000
assert r.status == 200, payload
assert not r.getheader("X-Amz-Function-Error"), payload
print(f"{elapsed:.2f}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A cold warm
for kind in node c; do
  runtime=nodejs20.x
  [ "$kind" = c ] && runtime=provided.al2023
  samples=()
  for i in $(seq 1 "$cold_runs"); do
    samples+=("$(cold_start "$kind-cold-$i" "$runtime" "$work/$kind")")
  done
  cold[$kind]=$(printf '%s\n' "${samples[@]}" | median)
  cold_start "$kind" "$runtime" "$work/$kind" >/dev/null
  warm[$kind]=$(FUNCTION=$kind wrk -t1 -c1 -d"${duration}s" -s bench/wrk/invoke.lua \
    "$endpoint" | sed -n 's/^JSON //p')
done

mkdir -p bench/results
out="bench/results/lambda-$(date -u +%Y%m%dT%H%M%SZ).json"
printf '{"commit": "%s", "duration_s": %s, "cold_ms_median": {"node": %s, "c": %s}, "warm": {"node": %s, "c": %s}}\n' \
  "$(git rev-parse --short HEAD)" "$duration" "${cold[node]}" "${cold[c]}" \
  "${warm[node]}" "${warm[c]}" >"$out"
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("| Handler | Cold start (median of 5) | Warm p50 | Warm p90 | Warm p99 | Invokes/s |")
print("|---|---|---|---|---|---|")
for kind, label in (("node", "Node.js 20 no-op"), ("c", "C custom runtime no-op")):
    w = d["warm"][kind]
    print(f"| {label} | {d['cold_ms_median'][kind]:.1f} ms | {w['p50_ms']:.3f} ms | "
          f"{w['p90_ms']:.3f} ms | {w['p99_ms']:.3f} ms | "
          f"{w['requests'] / w['seconds']:,.0f} |")
print(f"\nJSON: {sys.argv[1]}")
PY
