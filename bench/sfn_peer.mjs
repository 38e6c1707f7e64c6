// Run state machines in memory with the aws-local-stepfunctions package,
// the peer of bench/sfn.py, and print one JSON line of results.
//
// Usage: node bench/sfn_peer.mjs MACHINES_JSON SECONDS CONCURRENCY LATENCY_SAMPLES
// MACHINES_JSON maps a name to {definition, transitions, latency}. For each
// machine the script keeps CONCURRENCY executions in flight for SECONDS and
// counts the runs that finished. For machines with latency set it then runs
// LATENCY_SAMPLES executions one at a time and reports the p50 and p99 of
// run() to the result.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const peerDir = process.env.SFN_PEER_DIR;
const { StateMachine } = await import(
  require.resolve('aws-local-stepfunctions', { paths: [peerDir] }));
const version = JSON.parse(readFileSync(
  `${peerDir}/node_modules/aws-local-stepfunctions/package.json`, 'utf8')).version;

const [machinesPath, secondsArg, concurrencyArg, samplesArg] = process.argv.slice(2);
const machines = JSON.parse(readFileSync(machinesPath, 'utf8'));
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const samples = Number(samplesArg);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function throughput(machine) {
  let runs = 0;
  let failures = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  async function worker() {
    while (performance.now() < stopAt) {
      try {
        await machine.run({ n: runs }).result;
        runs++;
      } catch {
        failures++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  return { runs, failures, seconds: elapsed, runs_per_s: runs / elapsed };
}

async function latency(machine) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await machine.run({ n: i }).result;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { samples, p50_ms: percentile(times, 0.5), p99_ms: percentile(times, 0.99) };
}

const results = { version, concurrency, seconds };
for (const [name, spec] of Object.entries(machines)) {
  const machine = new StateMachine(spec.definition);
  // A short warm-up so that V8 has compiled the interpreter's hot paths.
  for (let i = 0; i < 200; i++) await machine.run({}).result;
  const out = await throughput(machine);
  out.transitions_per_s = out.runs_per_s * spec.transitions;
  if (spec.latency) out.latency = await latency(machine);
  results[name] = out;
}
console.log(JSON.stringify(results));
