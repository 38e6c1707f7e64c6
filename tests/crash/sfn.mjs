// Client half of tests/crash/sfn.sh: starts Step Functions executions on a
// running Stratus and, after the restart, checks how they ended.
//
// usage: node sfn.mjs start URL COUNT ACKS_FILE
//        node sfn.mjs verify URL ACKS_FILE
import { appendFileSync, readFileSync } from 'node:fs';

const auth =
  'AWS4-HMAC-SHA256 Credential=AKIDCRASH/20260101/us-east-1/states/' +
  'aws4_request, SignedHeaders=host, Signature=00';

async function call(url, op, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${op}`,
      Authorization: auth,
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200)
    throw new Error(`${op} failed with ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

// Pass, a 2-second Wait, a Map of three 1-second Waits, then Pass: the
// kill lands inside one of the Waits.
const definition = {
  StartAt: 'Mark',
  States: {
    Mark: { Type: 'Pass', Result: 'marked', ResultPath: '$.mark', Next: 'Hold' },
    Hold: { Type: 'Wait', Seconds: 2, Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Nap',
        States: { Nap: { Type: 'Wait', Seconds: 1, End: true } },
      },
      ResultPath: '$.fanned',
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
};

const [mode, url, ...rest] = process.argv.slice(2);
if (mode === 'start') {
  const [count, acks] = rest;
  const { stateMachineArn } = await call(url, 'CreateStateMachine', {
    name: 'crash',
    roleArn: 'arn:aws:iam::123456789012:role/crash',
    definition: JSON.stringify(definition),
  });
  for (let i = 0; i < Number(count); i++) {
    const input = JSON.stringify({ n: i, items: [1, 2, 3] });
    const { executionArn } = await call(url, 'StartExecution', {
      stateMachineArn,
      name: `e${i}`,
      input,
    });
    appendFileSync(acks, `${executionArn}\n`);
  }
} else if (mode === 'verify') {
  const arns = readFileSync(rest[0], 'utf8').split('\n').filter(Boolean);
  const deadline = Date.now() + 60000;
  let failures = 0;
  for (const executionArn of arns) {
    let desc;
    do {
      desc = await call(url, 'DescribeExecution', { executionArn });
      if (desc.status === 'RUNNING') await new Promise((r) => setTimeout(r, 200));
    } while (desc.status === 'RUNNING' && Date.now() < deadline);
    const { events } = await call(url, 'GetExecutionHistory', { executionArn });
    const types = events.map((e) => e.type);
    const problems = [];
    if (desc.status !== 'SUCCEEDED') problems.push(`status ${desc.status}`);
    const output = desc.output ? JSON.parse(desc.output) : {};
    if (output.mark !== 'marked' || JSON.stringify(output.fanned) !== '[1,2,3]')
      problems.push(`output ${desc.output}`);
    events.forEach((e, i) => {
      if (e.id !== i + 1) problems.push(`event ${i} has id ${e.id}`);
    });
    const count = (t) => types.filter((x) => x === t).length;
    if (count('ExecutionStarted') !== 1) problems.push('ExecutionStarted repeated');
    if (count('WaitStateEntered') !== 4) problems.push('Wait states entered again');
    if (count('MapIterationSucceeded') !== 3) problems.push('iterations lost or repeated');
    if (types[types.length - 1] !== 'ExecutionSucceeded') problems.push('no ExecutionSucceeded');
    if (problems.length) {
      failures++;
      console.error(`${executionArn}: ${problems.join('; ')}\n  ${types.join(' ')}`);
    }
  }
  console.log(`${arns.length - failures} of ${arns.length} executions resumed correctly`);
  process.exit(failures ? 1 : 0);
} else {
  console.error('usage: node sfn.mjs start URL COUNT ACKS_FILE | verify URL ACKS_FILE');
  process.exit(2);
}
