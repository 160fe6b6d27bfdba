import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BlockplaneFunction, FUNCTION_ROLE_PATH, type BlockplaneFunctionProps } from '../../lib/blockplane-function';
import { quietly, resourceNamed, withOutdir } from './synth';

/** One BlockplaneFunction in a stack of its own, synthesized without bundling. */
function synthesizeFunction(props: BlockplaneFunctionProps): Template {
  return withOutdir((outdir) => {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    new BlockplaneFunction(stack, 'Handler', props);
    return quietly(() => Template.fromStack(stack));
  });
}

const ENTRY = 'lambdas/api/get-volume.ts';

describe('BlockplaneFunction', () => {
  test('when built with only an entry, it runs on Node 22 arm64 with 512 MiB, a 10 s timeout and source maps enabled', () => {
    // Act
    const template = synthesizeFunction({ entry: ENTRY });

    // Assess
    const { Properties } = resourceNamed(template, 'AWS::Lambda::Function', 'HandlerFunction').resource;
    expect(Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 10,
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'blockplane', NODE_OPTIONS: '--enable-source-maps' } },
    });
    expect(Properties.FunctionName).toBeUndefined();
  });

  test('when built, it logs to its own log group kept one month, which its role alone may write', () => {
    // Act
    const template = synthesizeFunction({ entry: ENTRY });

    // Assess
    const logs = resourceNamed(template, 'AWS::Logs::LogGroup', 'HandlerLogs');
    expect(logs.resource.Properties.RetentionInDays).toBe(30);
    const fn = resourceNamed(template, 'AWS::Lambda::Function', 'HandlerFunction').resource;
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logs.id } });
    const role = resourceNamed(template, 'AWS::IAM::Role', 'HandlerRole');
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': [role.id, 'Arn'] });
    expect(role.resource.Properties.ManagedPolicyArns).toBeUndefined();
    // Under the path the control-plane asserter lists to audit every function role (docs/audit.md)
    expect(role.resource.Properties.Path).toBe(FUNCTION_ROLE_PATH);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role.id }],
      PolicyDocument: {
        Statement: [
          { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logs.id, 'Arn'] } },
        ],
      },
    });
  });

  test('when given environment, timeout, memory and service name, it uses them and keeps its own variables', () => {
    // Act
    const template = synthesizeFunction({
      entry: ENTRY,
      timeout: Duration.seconds(28),
      memorySizeMiB: 1024,
      serviceName: 'blockplane-api',
      environment: { VOLUMES_TABLE: 'volumes' },
    });

    // Assess
    const { Properties } = resourceNamed(template, 'AWS::Lambda::Function', 'HandlerFunction').resource;
    expect(Properties).toMatchObject({ Timeout: 28, MemorySize: 1024 });
    expect(Properties.Environment.Variables).toEqual({
      VOLUMES_TABLE: 'volumes',
      POWERTOOLS_SERVICE_NAME: 'blockplane-api',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  test.each([64, 512.5, 20_000])('when memorySizeMiB is %p, it refuses to build and names the allowed range', (memorySizeMiB) => {
    // Act
    const build = () => synthesizeFunction({ entry: ENTRY, memorySizeMiB });

    // Assess
    expect(build).toThrow(`memorySizeMiB of Handler must be a whole number from 128 to 10240; received ${memorySizeMiB}`);
  });

  test('when the entry does not exist, it refuses to build and says which file it looked for', () => {
    // Act
    const build = () => synthesizeFunction({ entry: 'lambdas/api/no-such-handler.ts' });

    // Assess
    expect(build).toThrow(/handler entry of Handler 'lambdas\/api\/no-such-handler.ts' does not exist under /);
  });

  test('when the entry is an absolute path, it refuses to build and asks for a path relative to the repository root', () => {
    // Act
    const build = () => synthesizeFunction({ entry: '/tmp/handler.ts' });

    // Assess
    expect(build).toThrow("handler entry of Handler must be a path relative to the repository root; received '/tmp/handler.ts'");
  });
});
