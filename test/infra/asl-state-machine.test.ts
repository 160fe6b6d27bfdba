import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AslStateMachine, type AslStateMachineProps } from '../../lib/asl-state-machine';
import { quietly, resourceNamed, withOutdir } from './synth';

type FunctionsBy = (stack: Stack) => AslStateMachineProps['functions'];

/** An AslStateMachine over the real delete-volume definition, with stand-in functions. */
function synthesizeMachine(functions: FunctionsBy, substitutions: Record<string, string> = { HostCommandTimeoutSeconds: '15', HostCommandMaxSeconds: '86400' }): Template {
  return withOutdir((outdir) => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Test');
    new AslStateMachine(stack, 'Machine', {
      definitionFile: 'statemachines/delete-volume.asl.json',
      functions: functions(stack),
      substitutions,
    });
    return quietly(() => Template.fromStack(stack));
  });
}

const standIn = (stack: Stack, id: string) =>
  new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });

const ALL_TASKS: FunctionsBy = (stack) => ({
  PlaceCopiesFunctionArn: standIn(stack, 'PlaceCopies'),
  SendHostCommandFunctionArn: standIn(stack, 'SendHostCommand'),
  SettleVolumeFunctionArn: standIn(stack, 'SettleVolume'),
  ReleasePlacementFunctionArn: standIn(stack, 'ReleasePlacement'),
});

describe('AslStateMachine', () => {
  test('when a function is passed that the definition never calls, it is substituted but the role may not invoke it', () => {
    // Act
    const template = synthesizeMachine(ALL_TASKS);

    // Assess
    const placeCopies = resourceNamed(template, 'AWS::Lambda::Function', 'PlaceCopies').id;
    const { Properties } = resourceNamed(template, 'AWS::StepFunctions::StateMachine', 'MachineStateMachine').resource;
    expect(Properties.DefinitionSubstitutions.PlaceCopiesFunctionArn).toEqual({ 'Fn::GetAtt': [placeCopies, 'Arn'] });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain(placeCopies);
    expect(policies).toContain(resourceNamed(template, 'AWS::Lambda::Function', 'SettleVolume').id);
  });

  test('when the definition uses a placeholder nobody substitutes, it refuses to build and names the placeholder', () => {
    // Prepare
    const withoutSettle: FunctionsBy = (stack) => {
      const { SettleVolumeFunctionArn: _omitted, ...rest } = ALL_TASKS(stack);
      return rest;
    };

    // Act
    const build = () => synthesizeMachine(withoutSettle);

    // Assess
    expect(build).toThrow(/statemachines\/delete-volume.asl.json uses \$\{SettleVolumeFunctionArn\} but Machine substitutes only/);
  });

  test('when the host command timeout is not substituted, it refuses to build', () => {
    // Act
    const build = () => synthesizeMachine(ALL_TASKS, {});

    // Assess
    expect(build).toThrow(/uses \$\{HostCommandMaxSeconds\}, \$\{HostCommandTimeoutSeconds\}/);
  });
});
