#!/usr/bin/env python3
"""Benchmark Step Functions executions on Stratus against aws-local-stepfunctions.

It runs three STANDARD state machines: a chain of 20 Pass states, a
Parallel of 10 branches of 3 Pass states, and a four-state machine with a
two-branch Parallel. For each it measures finished executions per second
and state transitions per second. For a five-state chain it measures the
latency from StartExecution to the execution's end.

Stratus serves with a data directory, so every transition is written to its
SQLite database in the transaction of the call or job that made it. wrk
starts the executions over HTTP, and ListExecutions and DescribeExecution
observe their completion. The peer, aws-local-stepfunctions, runs the same
definitions in memory in one Node.js process (bench/sfn_peer.mjs).

Prints a Markdown table and writes JSON to bench/results/sfn-<time>.json.

Usage: bench/sfn.py --stratus build-bench/stratus --peer-dir bench/peers/sfn
       [--seconds 10] [--connections 8] [--latency-samples 300]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ACCOUNT = "123456789012"
AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/states/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def pass_chain(count, prefix="S"):
    states = {}
    for i in range(count):
        state = {"Type": "Pass"}
        if i + 1 < count:
            state["Next"] = f"{prefix}{i + 1}"
        else:
            state["End"] = True
        states[f"{prefix}{i}"] = state
    return {"StartAt": f"{prefix}0", "States": states}


def fan_out(branches, depth):
    return {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Parallel", "End": True,
        "Branches": [pass_chain(depth, f"B{b}S") for b in range(branches)]}}}


FOUR_STATES = {"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Result": {"card": "base1-4"}, "ResultPath": "$.card",
                "Next": "Fan"},
    "Fan": {"Type": "Parallel", "ResultPath": "$.branches", "Next": "Merge", "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}]},
    "Merge": {"Type": "Pass", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}

# Transitions are counted as AWS bills them: once per state entered,
# including the states inside Parallel branches.
MACHINES = {
    "chain20": {"definition": pass_chain(20), "transitions": 20,
                "label": "Chain of 20 Pass states"},
    "fanout": {"definition": fan_out(10, 3), "transitions": 1 + 10 * 3,
               "label": "Parallel of 10 branches of 3 Pass states"},
    "four": {"definition": FOUR_STATES, "transitions": 4 + 2,
             "label": "Four states with a two-branch Parallel"},
    "five": {"definition": pass_chain(5), "transitions": 5, "latency": True,
             "label": "Chain of 5 Pass states"},
}
# Events one execution of each machine records: ExecutionStarted and
# ExecutionSucceeded, an entered and an exited event per state, and for a
# Parallel also ParallelStateStarted and ParallelStateSucceeded.
EXPECTED_EVENTS = {"chain20": 2 + 2 * 20, "fanout": 2 + 2 + 2 + 2 * 30,
                   "four": 2 + 2 * 6 + 2, "five": 2 + 2 * 5}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A keep-alive Step Functions JSON 1.0 client."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, operation, body):
        headers = {"Content-Type": "application/x-amz-json-1.0",
                   "X-Amz-Target": f"AWSStepFunctions.{operation}",
                   "X-Amz-Date": "20260101T000000Z", "Authorization": AUTH}
        self.conn.request("POST", "/", json.dumps(body), headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data)


def start_stratus(binary, data_dir):
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--no-stack", "--api-port", "off", "--port", str(port),
         "--data-dir", data_dir, "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/_stratus/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("stratus did not start within 20 s")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid):
    """User plus system CPU time of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_machine(client, name, definition):
    return client.call("CreateStateMachine", {
        "name": name, "definition": json.dumps(definition), "type": "STANDARD",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bench"})["stateMachineArn"]


def count_status(client, arn, status):
    total, token = 0, None
    for _ in range(100000):
        body = {"stateMachineArn": arn, "statusFilter": status, "maxResults": 1000}
        if token:
            body["nextToken"] = token
        out = client.call("ListExecutions", body)
        total += len(out["executions"])
        token = out.get("nextToken")
        if not token:
            break
    return total


def wait_none_running(client, arn, timeout):
    """Poll ListExecutions until no execution of `arn` runs; return the time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = client.call("ListExecutions", {"stateMachineArn": arn,
                                             "statusFilter": "RUNNING", "maxResults": 1})
        if not out["executions"]:
            return time.time()
        time.sleep(0.02)
    raise RuntimeError(f"executions of {arn} still running after {timeout} s")


def check_history(client, arn, expected):
    """Check the event count of one finished execution's history."""
    out = client.call("ListExecutions", {"stateMachineArn": arn, "maxResults": 1,
                                         "statusFilter": "SUCCEEDED"})
    execution = out["executions"][0]["executionArn"]
    events = client.call("GetExecutionHistory", {"executionArn": execution,
                                                 "maxResults": 1000})["events"]
    if len(events) != expected:
        raise RuntimeError(f"{execution}: {len(events)} history events, expected {expected}")
    return len(events)


def stratus_throughput(client, port, pid, name, spec, seconds, connections,
                       machine_name=None):
    arn = create_machine(client, machine_name or f"bench-{name}", spec["definition"])
    env = dict(os.environ, MACHINE_ARN=arn)
    cpu_before = cpu_seconds(pid)
    start = time.time()
    wrk = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s",
         "-s", os.path.join(BENCH_DIR, "wrk", "start_execution.lua"),
         f"http://127.0.0.1:{port}/"],
        env=env, capture_output=True, text=True, check=True)
    started = json.loads(wrk.stdout.split("JSON ", 1)[1])
    done = wait_none_running(client, arn, 300)
    cpu = cpu_seconds(pid) - cpu_before
    succeeded = count_status(client, arn, "SUCCEEDED")
    failed = sum(count_status(client, arn, s) for s in ("FAILED", "TIMED_OUT", "ABORTED"))
    # wrk does not count the requests still in flight when it stops, so a
    # few more executions may have started than it reports.
    if started["errors"] or failed or succeeded < started["requests"]:
        raise RuntimeError(f"{name}: {started['requests']} started, {started['errors']} "
                           f"errors, {succeeded} succeeded, {failed} failed")
    elapsed = done - start
    return {"started": started["requests"], "succeeded": succeeded,
            "seconds": round(elapsed, 3),
            "runs_per_s": round(succeeded / elapsed, 1),
            "transitions_per_s": round(succeeded * spec["transitions"] / elapsed, 1),
            "start_p50_ms": started["p50_ms"], "start_p99_ms": started["p99_ms"],
            "server_cpu_us_per_run": round(cpu / succeeded * 1e6, 1),
            "events_per_run": check_history(client, arn, EXPECTED_EVENTS[name])}


def stratus_latency(client, spec, samples):
    arn = create_machine(client, "bench-latency", spec["definition"])
    times = []
    for i in range(samples):
        t0 = time.perf_counter()
        execution = client.call("StartExecution", {
            "stateMachineArn": arn, "input": json.dumps({"n": i})})["executionArn"]
        for _ in range(100000):
            out = client.call("DescribeExecution", {"executionArn": execution})
            if out["status"] != "RUNNING":
                break
        if out["status"] != "SUCCEEDED":
            raise RuntimeError(f"{execution}: {out['status']}")
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"samples": samples, "p50_ms": round(times[len(times) // 2], 3),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3)}


def run_stratus(args):
    workdir = tempfile.mkdtemp(prefix="stratus-sfn-bench-")
    try:
        proc, port = start_stratus(args.stratus, os.path.join(workdir, "data"))
        try:
            client = Client(port)
            results = {}
            # A short warm-up run that is not reported.
            stratus_throughput(client, port, proc.pid, "four", MACHINES["four"], 1,
                               args.connections, "bench-warm-up")
            for name, spec in MACHINES.items():
                if args.only and name not in args.only:
                    continue
                if spec.get("latency"):
                    results[name] = {"latency": stratus_latency(client, spec,
                                                                args.latency_samples)}
                else:
                    results[name] = stratus_throughput(client, port, proc.pid, name, spec,
                                                       args.seconds, args.connections)
            return results
        finally:
            stop(proc)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_peer(args):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({name: {"definition": spec["definition"],
                          "transitions": spec["transitions"],
                          "latency": bool(spec.get("latency"))}
                   for name, spec in MACHINES.items()}, f)
    try:
        out = subprocess.run(
            ["node", os.path.join(BENCH_DIR, "sfn_peer.mjs"), f.name, str(args.seconds),
             str(args.peer_concurrency), str(args.latency_samples)],
            env=dict(os.environ, SFN_PEER_DIR=os.path.abspath(args.peer_dir)),
            capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout)


def print_table(results, out):
    stratus, peer = results["stratus"], results["peer"]
    print(f"| Machine | Transitions per run | Stratus runs/s | Stratus transitions/s "
          f"| Stratus CPU (µs/run) | Peer runs/s | Peer transitions/s | Stratus ÷ peer |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, spec in MACHINES.items():
        if spec.get("latency"):
            continue
        s, p = stratus[name], peer[name]
        print(f"| {spec['label']} | {spec['transitions']} | {s['runs_per_s']:,.0f} | "
              f"{s['transitions_per_s']:,.0f} | {s['server_cpu_us_per_run']:,.1f} | "
              f"{p['runs_per_s']:,.0f} | {p['transitions_per_s']:,.0f} | "
              f"{s['runs_per_s'] / p['runs_per_s']:.2f} |")
    s, p = stratus["five"]["latency"], peer["five"]["latency"]
    print("\n| Five-state execution | p50 (ms) | p99 (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| Stratus, StartExecution to DescribeExecution SUCCEEDED | {s['p50_ms']:.3f} | "
          f"{s['p99_ms']:.3f} |")
    print(f"| aws-local-stepfunctions {peer['version']}, run() to result | "
          f"{p['p50_ms']:.3f} | {p['p99_ms']:.3f} |")
    print(f"\nJSON: {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stratus", required=True, help="the stratus binary")
    parser.add_argument("--peer-dir", required=True,
                        help="directory with aws-local-stepfunctions in node_modules")
    parser.add_argument("--seconds", type=int, default=10,
                        help="seconds of starts per machine (default 10)")
    parser.add_argument("--connections", type=int, default=8,
                        help="wrk connections that start executions (default 8)")
    parser.add_argument("--peer-concurrency", type=int, default=64,
                        help="executions the peer keeps in flight (default 64)")
    parser.add_argument("--latency-samples", type=int, default=300,
                        help="executions of the five-state machine, one at a time")
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help="comma-separated machines to run (chain20,fanout,four,five); "
                        "prints JSON without the peer and the table")
    args = parser.parse_args()

    results = {"seconds": args.seconds, "connections": args.connections,
               "commit": os.environ.get("STRATUS_BENCH_COMMIT", "")}
    results["stratus"] = run_stratus(args)
    if args.only:
        print(json.dumps(results["stratus"], indent=2))
        return 0
    results["peer"] = run_peer(args)

    os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
    out = os.path.join(BENCH_DIR, "results",
                       time.strftime("sfn-%Y%m%dT%H%M%SZ.json", time.gmtime()))
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print_table(results, out)


if __name__ == "__main__":
    sys.exit(main())
