// IAM and STS through Debian's AWS CLI v2 (/usr/bin/aws) against a running
// Stratus (STRATUS_ENDPOINT, set by run.sh): roles and their policies as the
// CLI decodes them, simulate-principal-policy, get-caller-identity and
// assume-role, and enforcement of the credentials Stratus issues (an
// assumed role and a Lambda function's execution role).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { aws, awsFails, awsOk, endpoint, home } from './cli.mjs';

const ACCOUNT = '123456789012';

// Run the CLI as a role session: `credentials` are
// {AccessKeyId, SecretAccessKey, SessionToken} from assume-role or a
// function's environment.
function awsAs(credentials, ...args) {
  const result = spawnSync('/usr/bin/aws', [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: {
      PATH: '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: credentials.SessionToken,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function awsAsOk(credentials, ...args) {
  const result = awsAs(credentials, ...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim() === '' ? null : JSON.parse(result.stdout);
}

function awsAsFails(credentials, operation, code, message, ...args) {
  const result = awsAs(credentials, ...args);
  assert.equal(result.code, 254, `exit code (stdout: ${result.stdout}, stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
}

const ROLE = 'cli-iam-eventbridge-sfn-role';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:cli-iam-valuation`;
const TRUST = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' },
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
  ],
};
const POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: MACHINE_ARN }],
};

describe('aws iam and sts commands', () => {
  test('create-role and get-role decode the trust policy', () => {
    const trustFile = join(home, 'trust.json');
    writeFileSync(trustFile, JSON.stringify(TRUST));
    const created = awsOk(
      'iam', 'create-role', '--role-name', ROLE,
      '--assume-role-policy-document', `file://${trustFile}`,
    );
    assert.equal(created.Role.Arn, ROLE_ARN);
    assert.match(created.Role.RoleId, /^AROA[A-Z0-9]{17}$/);

    const out = awsOk('iam', 'get-role', '--role-name', ROLE);
    assert.equal(out.Role.RoleName, ROLE);
    assert.equal(out.Role.Path, '/');
    assert.equal(out.Role.MaxSessionDuration, 3600);
    assert.deepEqual(out.Role.AssumeRolePolicyDocument, TRUST);
    assert.ok(!Number.isNaN(Date.parse(out.Role.CreateDate)), out.Role.CreateDate);
  });

  test('get-role of a missing role', () => {
    awsFails(
      'GetRole', 'NoSuchEntity', 'The role with name cli-iam-missing cannot be found.',
      'iam', 'get-role', '--role-name', 'cli-iam-missing',
    );
  });

  test('put-role-policy then get-role-policy', () => {
    awsOk(
      'iam', 'put-role-policy', '--role-name', ROLE,
      '--policy-name', 'start-execution', '--policy-document', JSON.stringify(POLICY),
    );
    const out = awsOk(
      'iam', 'get-role-policy', '--role-name', ROLE, '--policy-name', 'start-execution',
    );
    assert.equal(out.RoleName, ROLE);
    assert.equal(out.PolicyName, 'start-execution');
    assert.deepEqual(out.PolicyDocument, POLICY);
    const list = awsOk('iam', 'list-role-policies', '--role-name', ROLE);
    assert.deepEqual(list.PolicyNames, ['start-execution']);
  });

  test('attach a managed policy, list roles and tags', () => {
    const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    awsOk('iam', 'attach-role-policy', '--role-name', ROLE, '--policy-arn', basic);
    const attached = awsOk('iam', 'list-attached-role-policies', '--role-name', ROLE);
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: basic }]);
    const policy = awsOk('iam', 'get-policy', '--policy-arn', basic);
    assert.equal(policy.Policy.DefaultVersionId, 'v1');
    assert.equal(policy.Policy.AttachmentCount, 1);
    const version = awsOk('iam', 'get-policy-version', '--policy-arn', basic, '--version-id', 'v1');
    assert.deepEqual(version.PolicyVersion.Document.Statement[0].Action, [
      'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents',
    ]);
    awsOk('iam', 'detach-role-policy', '--role-name', ROLE, '--policy-arn', basic);

    const roles = awsOk('iam', 'list-roles');
    assert.ok(roles.Roles.some((r) => r.RoleName === ROLE), JSON.stringify(roles));

    awsOk('iam', 'tag-role', '--role-name', ROLE, '--tags', 'Key=team,Value=cards');
    const tags = awsOk('iam', 'list-role-tags', '--role-name', ROLE);
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'cards' }]);
  });

  test('simulate-principal-policy', () => {
    const out = awsOk(
      'iam', 'simulate-principal-policy',
      '--policy-source-arn', ROLE_ARN,
      '--action-names', 'states:StartExecution', 'states:StopExecution',
      '--resource-arns', MACHINE_ARN,
    );
    assert.equal(out.EvaluationResults.length, 2);
    const [start, stop] = out.EvaluationResults;
    assert.equal(start.EvalActionName, 'states:StartExecution');
    assert.equal(start.EvalResourceName, MACHINE_ARN);
    assert.equal(start.EvalDecision, 'allowed');
    assert.equal(start.MatchedStatements.length, 1);
    assert.equal(start.MatchedStatements[0].SourcePolicyId, 'start-execution');
    assert.equal(stop.EvalDecision, 'implicitDeny');
    assert.deepEqual(stop.MatchedStatements, []);
  });

  test('sts get-caller-identity with the default key', () => {
    const out = awsOk('sts', 'get-caller-identity');
    assert.deepEqual(out, { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
  });

  test('sts assume-role issues restricted credentials', () => {
    const out = awsOk(
      'sts', 'assume-role', '--role-arn', ROLE_ARN, '--role-session-name', 'cli-test',
    );
    const credentials = out.Credentials;
    assert.match(credentials.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.ok(credentials.SessionToken.length > 0);
    assert.ok(Date.parse(credentials.Expiration) > Date.now(), credentials.Expiration);
    assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/cli-test`);

    const identity = awsAsOk(credentials, 'sts', 'get-caller-identity');
    assert.equal(identity.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/cli-test`);
    assert.equal(identity.Account, ACCOUNT);

    awsAsFails(
      credentials,
      'ListTables', 'AccessDeniedException',
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/cli-test is not authorized to perform: `
        + 'dynamodb:ListTables on resource: * because no identity-based policy allows the '
        + 'dynamodb:ListTables action',
      'dynamodb', 'list-tables',
    );
  });
});

describe('credentials of a Lambda execution role', () => {
  const FUNCTION = 'cli-iam-credentials';
  const FN_ROLE = 'cli-iam-function-role';
  const TABLE = 'cli-iam-cards';
  const codeDir = join(home, 'code');

  test('a function role without dynamodb:GetItem is denied', () => {
    awsOk(
      'iam', 'create-role', '--role-name', FN_ROLE,
      '--assume-role-policy-document', JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    );
    awsOk(
      'iam', 'put-role-policy', '--role-name', FN_ROLE, '--policy-name', 'put-only',
      '--policy-document', JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: `arn:aws:dynamodb:*:*:table/${TABLE}` }],
      }),
    );
    awsOk(
      'dynamodb', 'create-table', '--table-name', TABLE,
      '--attribute-definitions', 'AttributeName=PK,AttributeType=S',
      '--key-schema', 'AttributeName=PK,KeyType=HASH',
      '--billing-mode', 'PAY_PER_REQUEST',
    );

    // The function returns the credentials Lambda gave it.
    spawnSync('mkdir', ['-p', codeDir]);
    writeFileSync(
      join(codeDir, 'index.mjs'),
      `export const handler = async () => ({
  AccessKeyId: process.env.AWS_ACCESS_KEY_ID,
  SecretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  SessionToken: process.env.AWS_SESSION_TOKEN,
});
`,
    );
    awsOk(
      'lambda', 'create-function', '--function-name', FUNCTION,
      '--runtime', 'nodejs20.x', '--role', `arn:aws:iam::${ACCOUNT}:role/${FN_ROLE}`,
      '--handler', 'index.handler', '--timeout', '10',
      '--code', `S3Bucket=hot-reload,S3Key=${codeDir}`,
    );
    const wait = aws('lambda', 'wait', 'function-active-v2', '--function-name', FUNCTION);
    assert.equal(wait.code, 0, wait.stderr);
    const outFile = join(home, 'credentials.json');
    awsOk(
      'lambda', 'invoke', '--function-name', FUNCTION,
      '--cli-binary-format', 'raw-in-base64-out', '--payload', '{}', outFile,
    );
    const credentials = JSON.parse(readFileSync(outFile, 'utf8'));
    assert.match(credentials.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);

    const identity = awsAsOk(credentials, 'sts', 'get-caller-identity');
    assert.equal(identity.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${FN_ROLE}/${FUNCTION}`);

    const key = JSON.stringify({ PK: { S: 'card-1' } });
    awsAsOk(credentials, 'dynamodb', 'put-item', '--table-name', TABLE, '--item', key);
    awsAsFails(
      credentials,
      'GetItem', 'AccessDeniedException',
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/${FN_ROLE}/${FUNCTION} is not authorized to perform: `
        + `dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${TABLE} `
        + 'because no identity-based policy allows the dynamodb:GetItem action',
      'dynamodb', 'get-item', '--table-name', TABLE, '--key', key,
    );
  });
});
