#!/usr/bin/env python3
"""Benchmark EventBridge delivery end to end.

Measures events per second from PutEvents to an SQS target and to a state
machine target, and the latency from PutEvents to the message on the queue.

Starts each server itself on a free loopback port: Stratus (with a data
directory, so every delivery is durable) and, when this Python has moto,
moto_server side by side for the SQS target. Prints a Markdown table and
writes JSON to bench/results/evb-deliver-<time>.json.

Usage: bench/evb_deliver.py --stratus build-bench/stratus [--seconds 10]
       [--producers 4] [--latency-samples 200] [--skip-moto]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ACCOUNT = "123456789012"
AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/{service}/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A keep-alive JSON protocol client for one server."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, service, target, body, version="1.1"):
        headers = {
            "Content-Type": f"application/x-amz-json-{version}",
            "X-Amz-Target": target,
            "X-Amz-Date": "20260101T000000Z",
            "Authorization": AUTH.format(service=service),
        }
        for attempt in range(3):
            try:
                self.conn.request("POST", "/", json.dumps(body), headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{target}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    def events(self, operation, body):
        return self.call("events", f"AWSEvents.{operation}", body)

    def sqs(self, operation, body):
        return self.call("sqs", f"AmazonSQS.{operation}", body, "1.0")

    def sfn(self, operation, body):
        return self.call("states", f"AWSStepFunctions.{operation}", body, "1.0")

    def iam(self, action, params):
        """Call an IAM operation over the Query protocol."""
        form = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **params})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Amz-Date": "20260101T000000Z",
            "Authorization": AUTH.format(service="iam"),
        }
        self.conn.request("POST", "/", form, headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{action}: HTTP {response.status}: {data[:300]!r}")


def wait_healthy(port, path, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def start_stratus(binary, workdir):
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--no-stack", "--api-port", "off", "--port", str(port),
         "--data-dir", os.path.join(workdir, "stratus"), "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_healthy(port, "/_stratus/health"):
        proc.kill()
        raise RuntimeError("stratus did not start")
    return proc, port


def start_moto():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_healthy(port, "/moto-api/"):
        proc.kill()
        raise RuntimeError("moto_server did not start")
    return proc, port


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def setup_sqs(port, name):
    client = Client(port)
    url = client.sqs("CreateQueue", {"QueueName": name})["QueueUrl"]
    client.events("PutRule", {"Name": f"{name}-rule",
                              "EventPattern": json.dumps({"source": [name]})})
    client.events("PutTargets", {"Rule": f"{name}-rule", "Targets": [
        {"Id": "queue", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"}]})
    return url


def queue_depth(client, url):
    attrs = client.sqs("GetQueueAttributes", {
        "QueueUrl": url,
        "AttributeNames": ["ApproximateNumberOfMessages",
                           "ApproximateNumberOfMessagesNotVisible"]})["Attributes"]
    return (int(attrs["ApproximateNumberOfMessages"])
            + int(attrs["ApproximateNumberOfMessagesNotVisible"]))


def produce(port, source, seconds, producers, batch, limit=None):
    """Send events for `seconds` from `producers` threads; return the count."""
    sent = [0] * producers
    stop_at = time.time() + seconds

    def run(k):
        client = Client(port)
        while time.time() < stop_at and (limit is None or sent[k] < limit):
            entries = [{"Source": source, "DetailType": "Bench",
                        "Detail": json.dumps({"n": sent[k] + i, "p": k})}
                       for i in range(batch)]
            out = client.events("PutEvents", {"Entries": entries})
            sent[k] += batch - out.get("FailedEntryCount", 0)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(sent)


def wait_for(count_fn, expected, patience):
    """Poll count_fn until it reaches `expected` or stops growing for
    `patience` seconds; return (count, time of the last change)."""
    last, last_change = -1, time.time()
    while True:
        count = count_fn()
        if count != last:
            last, last_change = count, time.time()
        if count >= expected or time.time() - last_change > patience:
            return count, last_change
        time.sleep(0.05)


def sqs_throughput(port, seconds, producers, batch, name, limit=None):
    url = setup_sqs(port, name)
    client = Client(port)
    start = time.time()
    sent = produce(port, name, seconds, producers, batch, limit)
    delivered, done = wait_for(lambda: queue_depth(client, url), sent, 5)
    return {"sent": sent, "delivered": delivered,
            "seconds": round(done - start, 3),
            "events_per_s": round(delivered / (done - start), 1)}


def sqs_latency(port, samples, name):
    url = setup_sqs(port, name)
    client = Client(port)
    latencies = []
    for _ in range(samples):
        marker = str(uuid.uuid4())
        start = time.perf_counter()
        client.events("PutEvents", {"Entries": [{
            "Source": name, "DetailType": "Bench", "Detail": json.dumps({"m": marker})}]})
        while True:
            out = client.sqs("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 5,
                                                "MaxNumberOfMessages": 1})
            messages = out.get("Messages", [])
            if messages:
                client.sqs("DeleteMessage", {"QueueUrl": url,
                                             "ReceiptHandle": messages[0]["ReceiptHandle"]})
                if marker in messages[0]["Body"]:
                    break
            if time.perf_counter() - start > 30:
                raise RuntimeError("an event took over 30 s to arrive")
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    return {"samples": samples,
            "p50_ms": round(statistics.median(latencies), 3),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3)}


def sfn_throughput(port, seconds, producers, batch):
    client = Client(port)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    arn = client.sfn("CreateStateMachine", {
        "name": "bench-machine", "definition": json.dumps(definition),
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bench"})["stateMachineArn"]
    # Stratus checks the target's role as AWS does: EventBridge must be
    # trusted and the role must allow states:StartExecution.
    client.iam("CreateRole", {
        "RoleName": "bench",
        "AssumeRolePolicyDocument": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"Service": "events.amazonaws.com"}}]}),
    })
    client.iam("PutRolePolicy", {
        "RoleName": "bench", "PolicyName": "start",
        "PolicyDocument": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "states:StartExecution",
                           "Resource": arn}]}),
    })
    client.events("PutRule", {"Name": "bench-sfn-rule",
                              "EventPattern": json.dumps({"source": ["bench.sfn"]})})
    client.events("PutTargets", {"Rule": "bench-sfn-rule", "Targets": [
        {"Id": "machine", "Arn": arn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/bench"}]})

    def succeeded():
        total, token = 0, None
        while True:
            body = {"stateMachineArn": arn, "statusFilter": "SUCCEEDED", "maxResults": 1000}
            if token:
                body["nextToken"] = token
            out = client.sfn("ListExecutions", body)
            total += len(out["executions"])
            token = out.get("nextToken")
            if not token:
                return total

    start = time.time()
    sent = produce(port, "bench.sfn", seconds, producers, batch)
    done_count, done = wait_for(succeeded, sent, 5)
    return {"sent": sent, "succeeded": done_count, "seconds": round(done - start, 3),
            "events_per_s": round(done_count / (done - start), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stratus", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()

    results = {"seconds": args.seconds, "producers": args.producers, "batch": args.batch}
    workdir = tempfile.mkdtemp(prefix="stratus-evb-bench-")
    try:
        proc, port = start_stratus(args.stratus, workdir)
        try:
            results["stratus"] = {
                "sqs": sqs_throughput(port, args.seconds, args.producers, args.batch, "bench-q"),
                "sqs_latency": sqs_latency(port, args.latency_samples, "bench-lat"),
                "states": sfn_throughput(port, args.seconds, args.producers, args.batch),
            }
        finally:
            stop(proc)
        if not args.skip_moto:
            try:
                import moto.server  # noqa: F401
                proc, port = start_moto()
            except (ImportError, RuntimeError) as err:
                print(f"moto skipped: {err}", file=sys.stderr)
            else:
                try:
                    results["moto"] = {
                        "sqs": sqs_throughput(port, min(args.seconds, 10), 1, 1, "bench-q",
                                              limit=200),
                        "sqs_latency": sqs_latency(port, min(args.latency_samples, 20),
                                                   "bench-lat"),
                    }
                finally:
                    stop(proc)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    os.makedirs("bench/results", exist_ok=True)
    out = time.strftime("bench/results/evb-deliver-%Y%m%dT%H%M%SZ.json", time.gmtime())
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print("| Server | Target | Events/s delivered | p50 latency | p99 latency |")
    print("|---|---|---|---|---|")
    for server in ("stratus", "moto"):
        r = results.get(server)
        if not r:
            continue
        lat = r["sqs_latency"]
        print(f"| {server} | SQS | {r['sqs']['events_per_s']:,.0f} | {lat['p50_ms']:.2f} ms | "
              f"{lat['p99_ms']:.2f} ms |")
        if "states" in r:
            print(f"| {server} | Step Functions (Pass) | {r['states']['events_per_s']:,.0f} | | |")
    print(f"\nJSON: {out}")


if __name__ == "__main__":
    main()
