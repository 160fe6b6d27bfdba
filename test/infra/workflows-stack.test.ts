import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../lib/repo-paths';
import { SYNTH_TIMEOUT_MS, blockplane, quietly, resourceNamed, synthesizeBlockplane } from './synth';

/** Task function (construct id) → the substitution that carries its ARN. */
const TASKS = {
  PlaceCopies: 'PlaceCopiesFunctionArn',
  SendHostCommand: 'SendHostCommandFunctionArn',
  SettleVolume: 'SettleVolumeFunctionArn',
  ReleasePlacement: 'ReleasePlacementFunctionArn',
  RecordCopyEndpoints: 'RecordCopyEndpointsFunctionArn',
  BeginFailover: 'BeginFailoverFunctionArn',
  PlaceReplacementMirror: 'PlaceReplacementMirrorFunctionArn',
  AdvanceModification: 'AdvanceModificationFunctionArn',
  FailModification: 'FailModificationFunctionArn',
} as const;
type Task = keyof typeof TASKS;

/** docs/control-plane.md, "State machines": each machine's file and the task functions it substitutes. */
const MACHINES: { id: string; file: string; output: string; tasks: Task[] }[] = [
  {
    id: 'CreateVolume',
    file: 'statemachines/create-volume.asl.json',
    output: 'CreateVolumeStateMachineArn',
    tasks: ['PlaceCopies', 'SendHostCommand', 'RecordCopyEndpoints', 'SettleVolume', 'ReleasePlacement'],
  },
  {
    id: 'DeleteVolume',
    file: 'statemachines/delete-volume.asl.json',
    output: 'DeleteVolumeStateMachineArn',
    tasks: ['SendHostCommand', 'SettleVolume', 'ReleasePlacement'],
  },
  {
    id: 'Failover',
    file: 'statemachines/fail-over-volume.asl.json',
    output: 'FailoverStateMachineArn',
    tasks: ['BeginFailover', 'SendHostCommand', 'RecordCopyEndpoints', 'PlaceReplacementMirror', 'SettleVolume'],
  },
  {
    id: 'ModifyVolume',
    file: 'statemachines/modify-volume.asl.json',
    output: 'ModifyVolumeStateMachineArn',
    tasks: ['AdvanceModification', 'SendHostCommand', 'FailModification'],
  },
];

let workflows: Template;
beforeAll(() => {
  workflows = blockplane().workflows;
}, SYNTH_TIMEOUT_MS);

const functionId = (task: string) => resourceNamed(workflows, 'AWS::Lambda::Function', `${task}Function`).id;
const stateMachine = (id: string) => resourceNamed(workflows, 'AWS::StepFunctions::StateMachine', `${id}StateMachine`).resource;
const placeholdersIn = (file: string) =>
  new Set([...fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));

describe('BlockplaneWorkflows state machines', () => {
  test.each(MACHINES)('when $id is synthesized, it substitutes the ARNs of its contract functions and the 300 s host command timeout', ({ id, tasks }) => {
    // Act
    const { Properties } = stateMachine(id);

    // Assess
    expect(Properties.DefinitionSubstitutions).toEqual({
      ...Object.fromEntries(tasks.map((task) => [TASKS[task], { 'Fn::GetAtt': [functionId(task), 'Arn'] }])),
      HostCommandTimeoutSeconds: '300',
      HostCommandMaxSeconds: '86400',
      ...(id === 'Failover' ? { RebuildAttemptsPerExecution: '500' } : {}),
    });
  });

  test.each(MACHINES)('when $id is synthesized, it substitutes exactly the placeholders of $file', ({ id, file }) => {
    // Act
    const substituted = Object.keys(stateMachine(id).Properties.DefinitionSubstitutions);

    // Assess
    expect(substituted.sort()).toEqual([...placeholdersIn(file)].sort());
  });

  test.each(MACHINES)('when $id is synthesized, it is a standard machine logging ALL events with execution data and traced', ({ id }) => {
    // Act
    const { Properties } = stateMachine(id);

    // Assess
    expect(Properties.StateMachineType).toBe('STANDARD');
    expect(Properties.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [resourceNamed(workflows, 'AWS::Logs::LogGroup', `${id}Logs`).id, 'Arn'] } } }],
      IncludeExecutionData: true,
      Level: 'ALL',
    });
    expect(Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(resourceNamed(workflows, 'AWS::Logs::LogGroup', `${id}Logs`).resource.Properties.RetentionInDays).toBe(30);
  });

  test.each(MACHINES)('when $id is synthesized, its role may invoke exactly the functions $file names, each by its own grant', ({ id, file, tasks }) => {
    // Prepare
    const used = placeholdersIn(file);
    const expected = Object.entries(TASKS)
      .filter(([, name]) => used.has(name))
      .map(([task]) => functionId(task))
      .sort();
    expect(expected).toEqual(tasks.map(functionId).sort());
    const role = resourceNamed(workflows, 'AWS::IAM::Role', `${id}StateMachineRole`).id;

    // Act
    const statements = Object.values(workflows.findResources('AWS::IAM::Policy'))
      .filter((policy: any) => policy.Properties.Roles.some((ref: any) => ref.Ref === role))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
    const invokes = statements.filter((statement: any) => statement.Action === 'lambda:InvokeFunction');

    // Assess
    expect(invokes.map((statement: any) => statement.Resource[0]['Fn::GetAtt'][0]).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    const others = statements.filter((statement: any) => statement.Action !== 'lambda:InvokeFunction');
    const itself = others.filter((statement: any) => statement.Action === 'states:StartExecution');
    expect(others.filter((s: any) => !itself.includes(s)).flatMap((s: any) => s.Action).every((action: string) => action.startsWith('logs:') || action.startsWith('xray:'))).toBe(true);
    // Only the fail-over machine starts an execution, and only of itself (its rebuild's hand-over)
    expect(itself.map((statement: any) => statement.Resource)).toEqual(id === 'Failover' ? [{ Ref: resourceNamed(workflows, 'AWS::StepFunctions::StateMachine', 'FailoverStateMachine').id }] : []);
  });

  test.each(['0', '501', 'x'])('when rebuildAttemptsPerExecution is %p in the context, it refuses to build and names the allowed values', (value) => {
    // Act
    const build = () => quietly(() => synthesizeBlockplane({ context: { rebuildAttemptsPerExecution: value } }));

    // Assess
    expect(build).toThrow(/rebuildAttemptsPerExecution must be a whole number/);
  });

  test('when the stack is synthesized, it holds exactly the four contract state machines', () => {
    // Act
    const machines = Object.keys(workflows.findResources('AWS::StepFunctions::StateMachine'));

    // Assess
    expect(machines).toHaveLength(MACHINES.length);
  });

  test.each(MACHINES)('when the stack is synthesized, it outputs the $id ARN as $output', ({ id, output }) => {
    // Act
    const outputs = workflows.findOutputs('*');

    // Assess
    expect(outputs[output].Value).toEqual({ Ref: resourceNamed(workflows, 'AWS::StepFunctions::StateMachine', `${id}StateMachine`).id });
  });
});

describe('BlockplaneWorkflows task functions', () => {
  /** Tasks that mint keys also get the key-sealing key's ARN (they may only encrypt with it). */
  const SEALING_TASKS = ['PlaceCopies', 'BeginFailover', 'PlaceReplacementMirror'];
  test.each(Object.keys(TASKS))('when %s is synthesized, it gets the three table names and the Powertools service name', (task) => {
    // Act
    const { Properties } = resourceNamed(workflows, 'AWS::Lambda::Function', `${task}Function`).resource;

    // Assess
    expect(Object.keys(Properties.Environment.Variables).sort()).toEqual(
      ['COMMANDS_TABLE', 'HOSTS_TABLE', ...(SEALING_TASKS.includes(task) ? ['KEYS_KEY_ARN'] : []), 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'VOLUMES_TABLE'],
    );
    expect(Properties.Environment.Variables.VOLUMES_TABLE).toEqual({ 'Fn::ImportValue': expect.stringContaining('ExportsOutputRefVolumesTable') });
  });
});

describe('BlockplaneWorkflows context', () => {
  test(
    'when hostCommandTimeoutSeconds is 15 in the context, it substitutes 15 in every state machine',
    () => {
      // Act
      const { workflows: template } = synthesizeBlockplane({ context: { hostCommandTimeoutSeconds: '15' } });

      // Assess
      for (const { id } of MACHINES) {
        const { Properties } = resourceNamed(template, 'AWS::StepFunctions::StateMachine', `${id}StateMachine`).resource;
        expect(Properties.DefinitionSubstitutions.HostCommandTimeoutSeconds).toBe('15');
      }
    },
    SYNTH_TIMEOUT_MS,
  );

  test.each(['soon', '0', '2.5'])('when hostCommandTimeoutSeconds is %p, it refuses to build and names the allowed values', (value) => {
    // Act
    const build = () => quietly(() => synthesizeBlockplane({ context: { hostCommandTimeoutSeconds: value } }));

    // Assess
    expect(build).toThrow(/hostCommandTimeoutSeconds must be a whole number of seconds, at least 1; received/);
  });
});
