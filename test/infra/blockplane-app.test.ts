import { Stack } from 'aws-cdk-lib';
import { FUNCTION_ROLE_PATH } from '../../lib/blockplane-function';
import { SYNTH_TIMEOUT_MS, type SynthesizedBlockplane, blockplane, quietly, synthesizeBlockplane } from './synth';

let synthesized: SynthesizedBlockplane;
beforeAll(() => {
  synthesized = blockplane();
}, SYNTH_TIMEOUT_MS);

/** CloudFormation rules CDK's built-in template validation may report, each for a known reason. */
const KNOWN_TEMPLATE_FINDINGS: Record<string, string> = {};

describe('Blockplane app', () => {
  test('when synthesized without context, it holds the Data, Workflows, Diagnostics, Recovery, Snapshots, Audit, Health and Api stacks, Api depending on the seven others', () => {
    // Act
    const { data, workflows, api, diagnostics, snapshots, health } = synthesized.stacks;

    // Assess
    expect(synthesized.app.node.children.filter(Stack.isStack).map((stack) => stack.node.id).sort()).toEqual(
      ['BlockplaneApi', 'BlockplaneAudit', 'BlockplaneData', 'BlockplaneDiagnostics', 'BlockplaneHealth', 'BlockplaneRecovery', 'BlockplaneSnapshots', 'BlockplaneWorkflows'],
    );
    expect([data.stackName, workflows.stackName, diagnostics.stackName, api.stackName]).toEqual(['BlockplaneData', 'BlockplaneWorkflows', 'BlockplaneDiagnostics', 'BlockplaneApi']);
    expect(data.dependencies).toEqual([]);
    expect(workflows.dependencies).toEqual([data]);
    expect(diagnostics.dependencies).toEqual([data]);
    expect(synthesized.stacks.recovery.dependencies).toEqual(expect.arrayContaining([data, workflows]));
    expect(snapshots.dependencies).toEqual([data]);
    expect(api.dependencies).toEqual(expect.arrayContaining([data, workflows, diagnostics, synthesized.stacks.recovery, snapshots, synthesized.stacks.audit, health]));
    expect(api.dependencies).toHaveLength(7);
    expect(synthesized.stacks.audit.dependencies).toEqual(expect.arrayContaining([data, diagnostics]));
    expect(health.dependencies).toEqual(expect.arrayContaining([data, workflows]));
  });

  test(
    'when synthesized with fleet=true, it also holds the Fleet stack, which depends on Api alone',
    () => {
      // Act
      const { app, stacks } = synthesizeBlockplane({ context: { fleet: 'true' }, props: { fleet: { agent: false } } });

      // Assess
      expect(app.node.children.filter(Stack.isStack).map((stack) => stack.node.id).sort()).toEqual(
        ['BlockplaneApi', 'BlockplaneAudit', 'BlockplaneData', 'BlockplaneDiagnostics', 'BlockplaneFleet', 'BlockplaneHealth', 'BlockplaneRecovery', 'BlockplaneSnapshots', 'BlockplaneWorkflows'],
      );
      expect(stacks.fleet?.stackName).toBe('BlockplaneFleet');
      expect(stacks.fleet?.dependencies).toEqual([stacks.api]);
    },
    SYNTH_TIMEOUT_MS,
  );

  test(
    'when fleet=true and hostPrincipalArnPrefix overrides the storage-host role, synthesis warns that the fleet would not be hosts',
    () => {
      // Act
      const { annotations } = synthesizeBlockplane({
        context: { fleet: true, hostPrincipalArnPrefix: 'arn:aws:iam::000000000000:user/blockplane-hosts/' },
        props: { fleet: { agent: false } },
      });

      // Assess
      expect(annotations).toEqual([
        { level: 'warning', path: '/BlockplaneFleet', message: expect.stringContaining('will treat this fleet\'s instances as customers') },
      ]);
    },
    SYNTH_TIMEOUT_MS,
  );

  test.each(['false', false])('when fleet is %p, the app has no Fleet stack', (fleet) => {
    // Act
    const { stacks } = synthesizeBlockplane({ context: { fleet } });

    // Assess
    expect(stacks.fleet).toBeUndefined();
  });

  test('when storageNetworkCidr is given, RegisterHost gets it; when it is not a CIDR block, the app refuses to build', () => {
    // Act
    const { api } = synthesizeBlockplane({ context: { storageNetworkCidr: '10.77.0.0/24' } });
    const build = () => quietly(() => synthesizeBlockplane({ context: { storageNetworkCidr: '10.77.0.1/24' } }));

    // Assess
    const registerHost = Object.values(api.findResources('AWS::Lambda::Function')).find((fn: any) => fn.Properties.Environment?.Variables?.STORAGE_NETWORK_CIDR) as any;
    expect(registerHost.Properties.Environment.Variables.STORAGE_NETWORK_CIDR).toBe('10.77.0.0/24');
    expect(build).toThrow('storage network CIDR 10.77.0.1/24 has host bits set');
  });

  test('when fleet is neither true nor false, it refuses to build', () => {
    // Act
    const build = () => quietly(() => synthesizeBlockplane({ context: { fleet: 'yes' } }));

    // Assess
    expect(build).toThrow('context fleet must be true or false; received "yes"');
  });

  test('when synthesized with cdk.json, no stack carries a warning or error (cross-stack reference strength is set)', () => {
    // Act
    const { annotations } = synthesized;

    // Assess
    expect(annotations).toEqual([]);
  });

  test('when synthesized, CDK template validation reports nothing but the known findings', () => {
    // Act
    const reports = synthesized.validationReport?.pluginReports ?? [];

    // Assess
    const unexpected = reports
      .flatMap((report) => report.violations.map((violation) => ({ plugin: report.pluginName, ...violation })))
      .filter((violation) => !(violation.ruleName in KNOWN_TEMPLATE_FINDINGS))
      .map((violation) => `${violation.plugin} ${violation.ruleName} (${violation.severity}): ${violation.description}`);
    expect(unexpected).toEqual([]);
  });

  test('when synthesized, every function of every stack runs under a role on the audited path, and the asserter may only list and read roles there', () => {
    // Act
    const stacks = Object.values(synthesized.byStack).map((template) => template.toJSON().Resources as Record<string, any>);

    // Assess: each Blockplane function's role (the CDK's own singleton helpers aside) is under FUNCTION_ROLE_PATH
    const roles = stacks.flatMap((resources) =>
      Object.entries(resources).filter(([id, resource]) => resource.Type === 'AWS::IAM::Role' && /Role[0-9A-F]{8}$/.test(id) && resource.Properties.Description?.startsWith('Runs ')),
    );
    expect(roles.length).toBeGreaterThan(50);
    expect(roles.filter(([, resource]) => resource.Properties.Path !== FUNCTION_ROLE_PATH).map(([id]) => id)).toEqual([]);
    const audit = synthesized.byStack.BlockplaneAudit.toJSON().Resources as Record<string, any>;
    const iamStatements = Object.values(audit)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('iam:')));
    expect(iamStatements).toHaveLength(1);
    expect([iamStatements[0].Action].flat().sort()).toEqual(['iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoles']);
    expect(JSON.stringify(iamStatements[0].Resource)).toContain(`:role${FUNCTION_ROLE_PATH}*`);
  });

  test.each(['data', 'workflows', 'api'] as const)(
    'when the %s stack is synthesized, no table, bucket, function, role, state machine or log group has a fixed physical name',
    (stack) => {
      // Act
      const resources = Object.entries(synthesized[stack].toJSON().Resources as Record<string, any>);

      // Assess
      const named = resources
        .filter(([, resource]) => PHYSICAL_NAME[resource.Type] !== undefined && PHYSICAL_NAME[resource.Type] in (resource.Properties ?? {}))
        .map(([id]) => id);
      expect(named).toEqual([]);
    },
  );
});

/** The property that would fix each resource type's physical name. */
const PHYSICAL_NAME: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};
