import * as fs from 'node:fs';
import { Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTION_VERSION_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';
import { repoFile } from './repo-paths';

export interface AslStateMachineProps {
  /** The ASL definition, relative to the repository root (e.g. `statemachines/create-volume.asl.json`). */
  readonly definitionFile: string;

  /**
   * Lambda functions by the substitution that carries their ARN (`PlaceCopiesFunctionArn`).
   * Every one is substituted; the state machine may invoke those the definition mentions.
   */
  readonly functions: Record<string, lambda.IFunction>;

  /**
   * Further `${Name}` substitutions, by name.
   * @default - none
   */
  readonly substitutions?: Record<string, string>;
}

/** `${Name}` placeholders, as Step Functions' DefinitionSubstitutions understands them. */
const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/**
 * A standard state machine whose definition is an ASL file with `${Name}` substitutions,
 * logging every event (with execution data) to its own log group kept one month, and traced
 * with X-Ray. Each function the definition calls is granted to the state machine's role on
 * its own; a placeholder without a substitution fails synthesis.
 */
export class AslStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: AslStateMachineProps) {
    super(scope, id);
    const definitionPath = repoFile(props.definitionFile, `definition of ${id}`);
    const used = placeholdersIn(fs.readFileSync(definitionPath, 'utf8'));
    const given = { ...props.substitutions };
    for (const [name, fn] of Object.entries(props.functions)) given[name] = fn.functionArn;
    const missing = [...used].filter((name) => !(name in given));
    if (missing.length > 0) {
      throw new Error(
        `${props.definitionFile} uses ${missing.map((name) => `\${${name}}`).join(', ')} but ${id} substitutes only ` +
          `${Object.keys(given).join(', ') || 'nothing'}; give every placeholder a substitution`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(definitionPath),
      definitionSubstitutions: given,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    const invoked = Object.entries(props.functions)
      .filter(([name]) => used.has(name))
      .map(([, fn]) => fn);
    for (const fn of invoked) fn.grantInvoke(this.stateMachine);
    acknowledgeGrantWildcards(this, {
      arns: invoked.map((fn) => fn.functionArn),
      suffix: ':*',
      reason: FUNCTION_VERSION_REASON,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CDK grants the state machine role the X-Ray write actions (tracing) and the CloudWatch Logs ' +
        'log-delivery actions (logging level ALL); neither set supports resource-level permissions',
    });
  }
}

function placeholdersIn(definition: string): Set<string> {
  return new Set([...definition.matchAll(PLACEHOLDER)].map((match) => match[1]));
}
