#!/usr/bin/env python3
"""Benchmark Stratus's DynamoDB against dynalite, DynamoDB Local and moto.

Starts each server in turn on its own loopback port. Measures the time from
spawn to its first successful request (median of several starts) and the
server's resident memory. Then creates the same table on each server and runs
wrk with the Lua scripts in bench/wrk/: PutItem, then GetItem and Query over
the items that the PutItem run wrote. Writes the figures as JSON and as a
Markdown table to the results directory. bench/run.sh installs the tools and
calls this script.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WRK_DIR = os.path.join(BENCH_DIR, "wrk")
TABLE = "bench"
OPERATIONS = ("PutItem", "GetItem", "Query")
WRK_SCRIPTS = {"PutItem": "put.lua", "GetItem": "get.lua", "Query": "query.lua"}

# The same dummy SigV4 headers as bench/wrk/common.lua.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 "
    "Credential=AKIDBENCHMARK/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=" + "0" * 64
)

# Targets for `stratus serve --no-stack` with its default file database.
TARGET_READY_MS = 20.0
TARGET_IDLE_RSS_MB = 10.0
TARGET_PUT_RATIO = 5.0
TARGET_P99_MS = 2.0


@dataclass
class Server:
    """One server under test and how to start it."""

    name: str
    label: str
    argv: list  # may contain {port}, {api_port} and {data_dir}
    probe: str  # "health": GET /_stratus/health; "dynamodb": ListTables
    cwd: str | None = None
    env: dict = field(default_factory=dict)
    skip_reason: str | None = None


def dynamodb_headers(target):
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810." + target,
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": AUTHORIZATION,
    }


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe_request(probe, port):
    """Build the raw HTTP request of a readiness probe."""
    if probe == "health":
        return (f"GET /_stratus/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Connection: close\r\n\r\n").encode()
    body = b"{}"
    head = "".join(f"{k}: {v}\r\n" for k, v in dynamodb_headers("ListTables").items())
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def probe_once(request, port):
    """Send one probe; return the HTTP status, or None when not listening yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                data += chunk
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(match.group(1)) if match else None


def wait_ready(proc, port, probe, start, timeout):
    """Poll until the probe returns 200; return milliseconds since start.

    Polls in a tight loop with a 0.2 ms pause after each refused connection,
    so the poller does not take a whole core from a server that is starting.
    """
    request = probe_request(probe, port)
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if probe_once(request, port) == 200:
            return (time.perf_counter() - start) * 1000.0
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} "
                               "before answering")
        time.sleep(0.0002)
    raise RuntimeError(f"server not ready after {timeout:.0f} s")


def server_env(server):
    """Return the environment of a server without STRATUS_* variables, so
    Stratus runs its default configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRATUS_")}
    env.update(server.env)
    return env


def spawn(server, port, api_port, data_dir, log_path):
    argv = [a.format(port=port, api_port=api_port, data_dir=data_dir)
            for a in server.argv]
    log = open(log_path, "ab")
    try:
        return subprocess.Popen(argv, cwd=server.cwd, env=server_env(server),
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()


def stop(proc, sig=signal.SIGTERM, timeout=10):
    """End a server that this script started, by its process id."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def children(pid):
    """Return the ids of the descendants of pid."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def rss_mb(pid):
    """Return VmRSS of pid and its descendants in MiB."""
    total_kb = 0
    for p in [pid] + children(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024.0


class DynamoClient:
    """A keep-alive DynamoDB JSON 1.0 client for setup and checks."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, target, body):
        payload = json.dumps(body).encode()
        try:
            self.conn.request("POST", "/", body=payload, headers=dynamodb_headers(target))
            response = self.conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection, as Node does
            # after 5 s by default, so send once more on a new connection.
            self.conn.close()
            self.conn.request("POST", "/", body=payload, headers=dynamodb_headers(target))
            response = self.conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else {}
        except json.JSONDecodeError:
            parsed = {"raw": data[:300].decode(errors="replace")}
        return response.status, parsed

    def close(self):
        self.conn.close()


def create_table(client):
    status, body = client.call("CreateTable", {
        "TableName": TABLE,
        "AttributeDefinitions": [
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    })
    if status != 200:
        raise RuntimeError(f"CreateTable failed with HTTP {status}: {body}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = client.call("DescribeTable", {"TableName": TABLE})
        if status == 200 and body.get("Table", {}).get("TableStatus") == "ACTIVE":
            return
        time.sleep(0.05)
    raise RuntimeError(f"table {TABLE} not ACTIVE after 30 s: HTTP {status} {body}")


def item_key(prefix, thread_id, i):
    """Return the key of item i of a wrk thread, as bench/wrk/common.lua lays it out."""
    return {"PK": {"S": f"{prefix}-{thread_id}-{i // 10}"},
            "SK": {"S": f"{i % 10:06d}"}}


def check_items(client, prefix, written):
    """GetItem a sample of the items each PutItem thread wrote; return how
    many of the sample were found and the sample size."""
    found = checked = 0
    for thread_id, count in enumerate(written):
        # Index 0 of thread 0 is never sent: wrk calls request() once on
        # thread 0 to check the script before the run.
        for i in sorted({1, count // 2, max(count - 100, 1)}):
            if i >= count:
                continue
            status, body = client.call("GetItem", {"TableName": TABLE,
                                                   "Key": item_key(prefix, thread_id, i)})
            checked += 1
            found += status == 200 and "Item" in body
    return found, checked


WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def cpu_seconds(pid):
    """Return the user and system CPU seconds of pid and its descendants."""
    ticks = 0
    for p in [pid] + children(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds():
    """Return the busy CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def background_cores(seconds=1.0):
    """Return how many cores other processes keep busy, sampled for seconds."""
    start = machine_cpu_seconds()
    time.sleep(seconds)
    return (machine_cpu_seconds() - start) / seconds


def wait_for_quiet(max_wait, threshold=0.3):
    """Wait up to max_wait seconds until other processes use less than
    threshold cores; return the last sample in cores."""
    deadline = time.monotonic() + max_wait
    busy = background_cores()
    while busy > threshold and time.monotonic() < deadline:
        busy = background_cores()
    return busy


def run_wrk(port, operation, args, duration, threads, connections,
            server_pid=None, path="/"):
    """Run wrk for one operation; return its parsed figures.

    With server_pid, also returns the server's CPU time per request and how
    many cores everything else on the machine (not the server, not wrk) kept
    busy during the run, since other load skews the figures.
    """
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
            "--timeout", "10s", "--latency"]
    if operation in WRK_SCRIPTS:
        argv += ["-s", os.path.join(WRK_DIR, WRK_SCRIPTS[operation])]
    argv += [f"http://127.0.0.1:{port}{path}", "--"] + args
    server_start = cpu_seconds(server_pid) if server_pid else 0.0
    machine_start = machine_cpu_seconds()
    wrk_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall_start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True,
                          timeout=duration + 60)
    wall = time.monotonic() - wall_start
    wrk_end = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine = machine_cpu_seconds() - machine_start
    server = cpu_seconds(server_pid) - server_start if server_pid else 0.0
    wrk_cpu = (wrk_end.ru_utime - wrk_start.ru_utime) + (wrk_end.ru_stime - wrk_start.ru_stime)
    out = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with status {done.returncode}: "
                           f"{done.stderr.strip() or out[-500:]}")
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    percentiles = {p: float(v) * UNIT_MS[u] for p, v, u in WRK_LATENCY.findall(out)}
    if not rps or "50" not in percentiles or "99" not in percentiles:
        raise RuntimeError(f"cannot parse the wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    sent = re.search(r"^BENCH sent ([\d,]+)", out, re.M)
    exact = re.search(r"^BENCH latency_us p50=(\d+) p99=(\d+) max=(\d+)", out, re.M)
    summary = re.search(r"^BENCH summary requests=(\d+)", out, re.M)
    total = re.search(r"(\d+) requests in", out)
    requests = int(summary.group(1) if summary else total.group(1))
    return {
        "requests_per_s": float(rps.group(1)),
        "requests": requests,
        "server_cpu_us_per_request":
            round(server / requests * 1e6, 1) if server_pid and requests else None,
        "wrk_cpu_cores": round(wrk_cpu / wall, 2),
        "background_cores": round(max(machine - server - wrk_cpu, 0.0) / wall, 2),
        "p50_ms": percentiles["50"],
        "p99_ms": percentiles["99"],
        "p50_us": int(exact.group(1)) if exact else None,
        "p99_us": int(exact.group(2)) if exact else None,
        "max_us": int(exact.group(3)) if exact else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "sent_per_thread": [int(n) for n in sent.group(1).split(",")] if sent else [],
        "wrk_output": out,
    }


def log_tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def measure_startup(server, runs, work_dir):
    """Start the server runs times in fresh data directories; return each
    time from spawn to the first 200, in milliseconds."""
    times = []
    for run in range(runs):
        data_dir = tempfile.mkdtemp(prefix=f"start-{server.name}-", dir=work_dir)
        log_path = os.path.join(work_dir, f"{server.name}-startup.log")
        port, api_port = free_port(), free_port()
        start = time.perf_counter()
        proc = spawn(server, port, api_port, data_dir, log_path)
        try:
            times.append(wait_ready(proc, port, server.probe, start, timeout=60))
        except RuntimeError as error:
            raise RuntimeError(f"start {run + 1} of {runs}: {error}\n"
                               f"{log_tail(log_path)}") from None
        finally:
            stop(proc)
            shutil.rmtree(data_dir, ignore_errors=True)
    return times


def check_durability(server, work_dir, count=200):
    """PutItem count items one at a time, SIGKILL the server, start it again
    on the same data directory and return how many of the acknowledged items
    it still has."""
    data_dir = tempfile.mkdtemp(prefix=f"kill-{server.name}-", dir=work_dir)
    log_path = os.path.join(work_dir, f"{server.name}-durability.log")
    port, api_port = free_port(), free_port()
    proc = spawn(server, port, api_port, data_dir, log_path)
    try:
        wait_ready(proc, port, server.probe, time.perf_counter(), timeout=60)
        client = DynamoClient(port)
        create_table(client)
        acknowledged = 0
        for i in range(count):
            item = item_key("d", 0, i) | {"n": {"N": str(i)}}
            status, _ = client.call("PutItem", {"TableName": TABLE, "Item": item})
            acknowledged += status == 200
        client.close()
    finally:
        stop(proc, signal.SIGKILL)

    proc = spawn(server, port, api_port, data_dir, log_path)
    try:
        wait_ready(proc, port, server.probe, time.perf_counter(), timeout=60)
        client = DynamoClient(port)
        found = 0
        for i in range(count):
            status, body = client.call("GetItem", {"TableName": TABLE,
                                                   "Key": item_key("d", 0, i)})
            found += status == 200 and "Item" in body
        client.close()
    finally:
        stop(proc)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"acknowledged": acknowledged, "found_after_sigkill": found}


def run_quietest(run, opts):
    """Call run(attempt) up to opts.attempts times, and stop early once a run
    measured at most opts.noise_threshold cores of other load. Returns the
    result with the least other load, with the other load of every attempt
    added."""
    results = []
    for attempt in range(1, opts.attempts + 1):
        if attempt > 1:
            wait_for_quiet(opts.quiet_wait)
        results.append(run(attempt))
        if results[-1]["background_cores"] <= opts.noise_threshold:
            break
    best = min(results, key=lambda r: r["background_cores"])
    best["background_cores_per_attempt"] = [r["background_cores"] for r in results]
    return best


def run_load(server, opts, work_dir):
    """Start the server once, create the table and run every operation."""
    result = {}
    data_dir = tempfile.mkdtemp(prefix=f"load-{server.name}-", dir=work_dir)
    log_path = os.path.join(work_dir, f"{server.name}-load.log")
    port, api_port = free_port(), free_port()
    proc = spawn(server, port, api_port, data_dir, log_path)
    try:
        wait_ready(proc, port, server.probe, time.perf_counter(), timeout=60)
        client = DynamoClient(port)
        create_table(client)
        time.sleep(1.0)
        result["rss_idle_mb"] = rss_mb(proc.pid)
        result["background_cores_before"] = round(wait_for_quiet(opts.quiet_wait), 2)

        if opts.warmup > 0:
            run_wrk(port, "PutItem", [TABLE, "w"], opts.warmup,
                    opts.threads, opts.connections)

        # Each PutItem attempt writes under its own key prefix, and GetItem
        # and Query read the items of the attempt that was kept.
        def put_run(attempt):
            figures = run_wrk(port, "PutItem", [TABLE, f"k{attempt}"], opts.duration,
                              opts.threads, opts.connections, proc.pid)
            figures["prefix"] = f"k{attempt}"
            return figures

        ops = {"PutItem": run_quietest(put_run, opts)}
        prefix = ops["PutItem"]["prefix"]
        written = ops["PutItem"]["sent_per_thread"]
        if not written or min(written) == 0:
            raise RuntimeError("the PutItem run reported no items per thread")
        found, checked = check_items(client, prefix, written)
        result["put_check"] = {"found": found, "checked": checked}

        written_arg = ",".join(str(n) for n in written)
        for operation in ("GetItem", "Query"):
            ops[operation] = run_quietest(
                lambda attempt: run_wrk(port, operation, [TABLE, prefix, written_arg],
                                        opts.duration, opts.threads, opts.connections,
                                        proc.pid),
                opts)
        client.close()
        if server.probe == "health":
            # The HTTP layer alone: a GET that touches no table and commits
            # nothing, as a ceiling for the DynamoDB operations.
            result["health"] = run_quietest(
                lambda attempt: run_wrk(port, "health", [], opts.duration, opts.threads,
                                        opts.connections, proc.pid, "/_stratus/health"),
                opts)
        result["operations"] = ops
        time.sleep(1.0)
        result["rss_after_load_mb"] = rss_mb(proc.pid)
        if server.name.startswith("stratus") and "--in-memory" not in server.argv:
            result["data_files"] = {
                name: os.path.getsize(os.path.join(data_dir, name))
                for name in sorted(os.listdir(data_dir))}
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"{error}\n{log_tail(log_path)}") from None
    finally:
        stop(proc)
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def package_version(peers_dir, package):
    try:
        with open(os.path.join(peers_dir, "node_modules", package, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, KeyError, json.JSONDecodeError):
        return "unknown"


def dynamodb_local_version(emulator_dir):
    try:
        with open(os.path.join(emulator_dir, "README.txt")) as f:
            match = re.search(r"\((\d+\.\d+\.\d+)\)", f.read())
            return match.group(1) if match else "unknown"
    except OSError:
        return "unknown"


def moto_python():
    """Return the path of the Python interpreter that has moto and moto's
    version, or None. The path skips any pyenv shim, so the measured process
    is the server itself."""
    path = shutil.which("python3")
    if not path:
        return None
    done = subprocess.run(
        [path, "-c", "import sys, moto, flask; print(sys.executable); print(moto.__version__)"],
        capture_output=True, text=True)
    if done.returncode != 0:
        return None
    executable, version = done.stdout.split()
    return executable, version


def define_servers(opts):
    servers = []
    stratus_argv = [opts.stratus, "serve", "--no-stack", "--data-dir", "{data_dir}",
                    "--log-level", "warn", "--port", "{port}", "--api-port", "{api_port}"]
    servers.append(Server("stratus", "Stratus (file database, default)",
                          stratus_argv, "health"))
    servers.append(Server("stratus-memory", "Stratus --in-memory",
                          stratus_argv + ["--in-memory"], "health"))

    peers = opts.peers_dir
    dynalite_cli = os.path.join(peers, "node_modules", "dynalite", "cli.js")
    dynalite_version = package_version(peers, "dynalite")
    node = shutil.which("node")
    skip = None if node and os.path.exists(dynalite_cli) else \
        f"dynalite not installed at {dynalite_cli}: run bench/run.sh"
    dynalite_argv = [node or "node", dynalite_cli, "--host", "127.0.0.1",
                     "--port", "{port}", "--createTableMs", "0"]
    servers.append(Server("dynalite", f"dynalite {dynalite_version} (in memory)",
                          dynalite_argv, "dynamodb", skip_reason=skip))
    servers.append(Server("dynalite-disk", f"dynalite {dynalite_version} (LevelDB --path)",
                          dynalite_argv + ["--path", "{data_dir}"], "dynamodb",
                          skip_reason=skip))

    emulator = os.path.join(peers, "node_modules", "amplify-dynamodb-simulator", "emulator")
    java = shutil.which("java")
    skip = None
    if not java:
        skip = "java not found on PATH"
    elif not os.path.exists(os.path.join(emulator, "DynamoDBLocal.jar")):
        skip = (f"DynamoDBLocal.jar missing in {emulator}: the npm package "
                "amplify-dynamodb-simulator no longer ships it, and no other "
                "download is allowed")
    ddb_version = dynamodb_local_version(emulator)
    # DynamoDB Local has no option for the listen address: it listens on all
    # interfaces, and the benchmark only sends to 127.0.0.1.
    ddb_argv = [java or "java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar",
                "DynamoDBLocal.jar", "-port", "{port}", "-disableTelemetry"]
    servers.append(Server("dynamodb-local", f"DynamoDB Local {ddb_version} (-inMemory)",
                          ddb_argv + ["-inMemory"], "dynamodb", cwd=emulator,
                          skip_reason=skip))
    servers.append(Server("dynamodb-local-disk", f"DynamoDB Local {ddb_version} (-dbPath)",
                          ddb_argv + ["-dbPath", "{data_dir}"], "dynamodb", cwd=emulator,
                          skip_reason=skip))

    found = moto_python()
    if found:
        python, moto_version = found
        servers.append(Server("moto", f"moto_server {moto_version} (in memory)",
                              [python, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", "{port}"], "dynamodb"))
    else:
        servers.append(Server("moto", "moto_server", [], "dynamodb",
                              skip_reason="no python3 with moto and flask found"))

    if opts.only:
        selected = set(opts.only.split(","))
        servers = [s for s in servers if s.name in selected]
    return servers


def source_state():
    """Return the commit of the source tree, what run.sh built (HEAD, the
    working tree or a given binary) and, for the working tree, how many
    files under src/ and emulator/ differ from the commit."""
    root = os.path.dirname(BENCH_DIR)
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", root, "status", "--porcelain", "--",
                                  "src", "emulator"],
                                 capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "built_from": "unknown"}
    if os.environ.get("STRATUS_BIN"):
        return {"commit": commit, "built_from": "STRATUS_BIN"}
    if os.environ.get("STRATUS_BENCH_COMMIT"):
        # run.sh archived this commit; HEAD may have moved on since.
        return {"commit": os.environ["STRATUS_BENCH_COMMIT"], "built_from": "HEAD"}
    if os.environ.get("STRATUS_BENCH_SOURCE") == "worktree":
        return {"commit": commit, "built_from": "working tree",
                "files_changed": len(changed.splitlines())}
    return {"commit": commit, "built_from": "HEAD"}


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            match = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = match.group(1).strip() if match else cpu
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1048576, 1),
            "kernel": platform.release()}


def run_sqlite_limits(binary, work_dir, seconds):
    done = subprocess.run([binary, work_dir, str(seconds)], capture_output=True,
                          text=True, timeout=seconds * 3 + 60)
    if done.returncode != 0:
        raise RuntimeError(f"sqlite_limits failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def summarize(results):
    """Compute ratios to dynalite and the target checks; return Markdown."""
    servers = results["servers"]
    base = servers.get("dynalite", {}).get("operations")
    lines = []
    lines.append("| Server | Operation | Requests/s | p50 (ms) | p99 (ms) | × dynalite "
                 "| Server CPU (µs/request) | Other load (cores) |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, server in servers.items():
        ops = server.get("operations")
        if not ops:
            reason = server.get("skipped") or server.get("error", "failed").splitlines()[0]
            lines.append(f"| {server['label']} | (not run: {reason}) | | | | | | |")
            continue
        rows = [(operation, ops[operation]) for operation in OPERATIONS]
        if "health" in server:
            rows.append(("GET /_stratus/health", server["health"]))
        for operation, op in rows:
            ratio = None
            if base and operation in base:
                ratio = op["requests_per_s"] / base[operation]["requests_per_s"]
                op["ratio_to_dynalite"] = round(ratio, 2)
            flag = ""
            if op["non_2xx"] or op["socket_errors"]:
                flag = f" ({op['non_2xx']} non-2xx; {op['socket_errors'] or 'no socket errors'})"
            lines.append(f"| {server['label']} | {operation}{flag} | "
                         f"{fmt(op['requests_per_s'])} | {op['p50_ms']:.2f} | "
                         f"{op['p99_ms']:.2f} | "
                         f"{'n/a' if ratio is None else f'{ratio:.2f}'} | "
                         f"{fmt(op['server_cpu_us_per_request'], 1)} | "
                         f"{op['background_cores']:.2f} |")
    lines.append("")
    lines.append("| Server | Ready (ms, median) | Ready (ms, min–max) | Starts | "
                 "RSS idle (MiB) | RSS after load (MiB) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, server in servers.items():
        times = server.get("startup_ms")
        if not times:
            continue
        lines.append(f"| {server['label']} | {statistics.median(times):.1f} | "
                     f"{min(times):.1f}–{max(times):.1f} | {len(times)} | "
                     f"{fmt(server.get('rss_idle_mb'), 1)} | "
                     f"{fmt(server.get('rss_after_load_mb'), 1)} |")

    stratus = servers.get("stratus", {})
    sqlite = results.get("sqlite")
    targets = {}
    if stratus.get("startup_ms"):
        ready = statistics.median(stratus["startup_ms"])
        targets["ready_ms"] = {"value": round(ready, 1), "target": TARGET_READY_MS,
                               "met": ready <= TARGET_READY_MS}
    if stratus.get("rss_idle_mb") is not None:
        rss = stratus["rss_idle_mb"]
        targets["idle_rss_mb"] = {"value": round(rss, 1), "target": TARGET_IDLE_RSS_MB,
                                  "met": rss <= TARGET_IDLE_RSS_MB}
    ops = stratus.get("operations")
    if ops and base:
        ratio = ops["PutItem"]["requests_per_s"] / base["PutItem"]["requests_per_s"]
        targets["put_ratio_to_dynalite"] = {"value": round(ratio, 2),
                                            "target": TARGET_PUT_RATIO,
                                            "met": ratio >= TARGET_PUT_RATIO}
    if ops:
        for operation in OPERATIONS:
            p99 = ops[operation]["p99_ms"]
            targets[f"p99_ms_{operation}"] = {"value": p99, "target": TARGET_P99_MS,
                                              "met": p99 <= TARGET_P99_MS}
    results["targets"] = targets
    lines.append("")
    lines.append("| Target (stratus serve --no-stack, file database) | Measured | Target | Met |")
    lines.append("| --- | ---: | ---: | --- |")
    for key, target in targets.items():
        lines.append(f"| {key} | {target['value']} | {target['target']} | "
                     f"{'yes' if target['met'] else 'no'} |")

    if ops and sqlite:
        put = ops["PutItem"]["requests_per_s"]
        results["sqlite_fraction"] = {
            "of_batched": round(put / sqlite["batched_rows_per_s"], 3),
            "of_grouped": round(put / sqlite["grouped_rows_per_s"], 3),
            "of_single_row_commits": round(put / sqlite["single_row_commits_per_s"], 2),
        }
        lines.append("")
        lines.append(f"SQLite {sqlite['sqlite_version']} on this machine (WAL, "
                     f"synchronous=NORMAL): {fmt(sqlite['single_row_commits_per_s'])} "
                     f"single-row commits/s, {fmt(sqlite['grouped_rows_per_s'])} rows/s in "
                     f"transactions of {sqlite['group_rows']} rows, "
                     f"{fmt(sqlite['batched_rows_per_s'])} rows/s batched in one "
                     f"transaction. Stratus PutItem: {fmt(put)}/s = "
                     f"{put / sqlite['batched_rows_per_s']:.1%} of the batched limit, "
                     f"{put / sqlite['grouped_rows_per_s']:.1%} of the "
                     f"{sqlite['group_rows']}-row limit, "
                     f"{put / sqlite['single_row_commits_per_s']:.2f}× the single-row "
                     "commit rate.")
    durability = stratus.get("durability")
    if durability:
        lines.append("")
        lines.append(f"Stratus durability check: {durability['found_after_sigkill']} of "
                     f"{durability['acknowledged']} acknowledged PutItems found after "
                     "SIGKILL and restart.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stratus", required=True, help="path of the stratus binary")
    parser.add_argument("--sqlite-limits", help="path of the built sqlite_limits binary")
    parser.add_argument("--peers-dir", default=os.path.join(BENCH_DIR, "peers"),
                        help="folder of the npm peers (default bench/peers)")
    parser.add_argument("--results-dir", default=os.path.join(BENCH_DIR, "results"))
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds of each wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of PutItem before the measured runs (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16,
                        help="wrk keep-alive connections (default 16)")
    parser.add_argument("--startup-runs", type=int, default=20,
                        help="starts per server for the startup median (default 20)")
    parser.add_argument("--quiet-wait", type=int, default=20,
                        help="seconds to wait, before each server's starts and load runs, for other "
                        "processes to use under 0.3 cores (default 20)")
    parser.add_argument("--attempts", type=int, default=2,
                        help="max runs of each operation while other processes load "
                        "the machine; the run with the least other load is kept "
                        "(default 2)")
    parser.add_argument("--noise-threshold", type=float, default=0.5,
                        help="cores of other load up to which a run is kept at once "
                        "(default 0.5)")
    parser.add_argument("--only", help="comma-separated server names to run "
                        "(stratus, stratus-memory, dynalite, dynalite-disk, "
                        "dynamodb-local, dynamodb-local-disk, moto)")
    opts = parser.parse_args()
    if not 1 <= opts.duration <= 120:
        parser.error(f"invalid --duration {opts.duration}: expected 1 to 120 seconds")
    if not 1 <= opts.attempts <= 10:
        parser.error(f"invalid --attempts {opts.attempts}: expected 1 to 10")
    if not 1 <= opts.startup_runs <= 100:
        parser.error(f"invalid --startup-runs {opts.startup_runs}: expected 1 to 100")

    os.makedirs(opts.results_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    work_dir = tempfile.mkdtemp(prefix="stratus-bench-")
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "source": source_state(),
        "load_average_at_start": open("/proc/loadavg").read().split()[:3],
        "settings": {"duration_s": opts.duration, "warmup_s": opts.warmup,
                     "threads": opts.threads, "connections": opts.connections,
                     "startup_runs": opts.startup_runs, "attempts": opts.attempts,
                     "noise_threshold_cores": opts.noise_threshold,
                     "quiet_wait_s": opts.quiet_wait},
        "servers": {},
    }
    print(f"machine: {results['machine']}", flush=True)

    if opts.sqlite_limits:
        print("sqlite_limits ...", flush=True)
        results["sqlite"] = run_sqlite_limits(opts.sqlite_limits, work_dir, 3)
        print(f"  {results['sqlite']}", flush=True)

    for server in define_servers(opts):
        entry = {"label": server.label, "command": " ".join(server.argv)}
        results["servers"][server.name] = entry
        if server.skip_reason:
            print(f"{server.name}: skipped: {server.skip_reason}", flush=True)
            entry["skipped"] = server.skip_reason
            continue
        print(f"{server.name}: {server.label}", flush=True)
        try:
            entry["background_cores_before_startup"] = round(wait_for_quiet(opts.quiet_wait), 2)
            entry["startup_ms"] = [round(t, 2) for t in
                                   measure_startup(server, opts.startup_runs, work_dir)]
            print(f"  ready in {statistics.median(entry['startup_ms']):.1f} ms "
                  f"(median of {opts.startup_runs})", flush=True)
            entry.update(run_load(server, opts, work_dir))
            for operation in OPERATIONS:
                op = entry["operations"][operation]
                print(f"  {operation}: {op['requests_per_s']:,.0f}/s p50 "
                      f"{op['p50_ms']:.2f} ms p99 {op['p99_ms']:.2f} ms "
                      f"non-2xx {op['non_2xx']}, server CPU "
                      f"{op['server_cpu_us_per_request']} us/request, other load "
                      f"{op['background_cores']} cores", flush=True)
            if "health" in entry:
                health = entry["health"]
                print(f"  GET /_stratus/health: {health['requests_per_s']:,.0f}/s p50 "
                      f"{health['p50_ms']:.2f} ms p99 {health['p99_ms']:.2f} ms, server "
                      f"CPU {health['server_cpu_us_per_request']} us/request", flush=True)
            print(f"  RSS idle {entry['rss_idle_mb']:.1f} MiB, after load "
                  f"{entry['rss_after_load_mb']:.1f} MiB; sampled items found "
                  f"{entry['put_check']['found']}/{entry['put_check']['checked']}",
                  flush=True)
            if server.name == "stratus":
                entry["durability"] = check_durability(server, work_dir)
                print(f"  durability: {entry['durability']}", flush=True)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            entry["error"] = str(error)
            print(f"  failed: {error}", flush=True)

    table = summarize(results)
    base = os.path.join(opts.results_dir, f"bench-{stamp}")
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=2)
    with open(base + ".md", "w") as f:
        f.write(table)
    shutil.rmtree(work_dir, ignore_errors=True)
    print()
    print(table)
    print(f"results: {base}.json and {base}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
