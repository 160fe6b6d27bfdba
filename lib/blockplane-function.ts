import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT, repoFile } from './repo-paths';

/**
 * The runtime every Blockplane function runs on (see docs/control-plane.md, "Functions"). Bundles
 * still target node20: the local cloud runs the same bundles on the host's Node 20.
 */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** esbuild target of every bundle: the oldest Node that runs them (the local cloud's host Node 20). */
export const BUNDLE_TARGET = 'node20';

/**
 * The IAM path of every Blockplane function's execution role, in every stack: the control-plane
 * asserter lists the roles under it to audit them all (docs/audit.md), with no role names passed
 * between stacks.
 */
export const FUNCTION_ROLE_PATH = '/blockplane/functions/';

export interface BlockplaneFunctionProps {
  /** Handler file, relative to the repository root (e.g. `lambdas/api/get-volume.ts`); it exports `handler`. */
  readonly entry: string;

  /**
   * What the function does, shown in the console.
   * @default - no description
   */
  readonly description?: string;

  /**
   * How long one invocation may run.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * Memory, in MiB (Lambda also scales CPU with it).
   * @default 512
   */
  readonly memorySizeMiB?: number;

  /**
   * Environment variables besides `POWERTOOLS_SERVICE_NAME` and `NODE_OPTIONS`.
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Powertools service name (`POWERTOOLS_SERVICE_NAME`).
   * @default 'blockplane'
   */
  readonly serviceName?: string;

  /**
   * A fixed function name, for a function another stack invokes by name.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * Runs the function in these private subnets with this security group (its only network).
   * @default - outside any VPC
   */
  readonly network?: { readonly vpc: ec2.IVpc; readonly subnets: ec2.SubnetSelection; readonly securityGroup: ec2.ISecurityGroup };
}

const MIN_MEMORY_MIB = 128;
const MAX_MEMORY_MIB = 10_240;

/**
 * A Node.js Lambda function with Blockplane's defaults: Node 22 on arm64, bundled locally by
 * esbuild for node20 with the AWS SDK inside the bundle (the local cloud provides none), minified
 * with source maps, logging to its own log group kept for one month, and an execution role that
 * starts with nothing but the right to write that log group (no AWS managed policy); callers
 * add each grant the contract lists, for instance `table.grantReadData(fn)`.
 */
export class BlockplaneFunction extends Construct implements iam.IGrantable {
  /** The Lambda function (an API integration target, or invoked by a state machine). */
  readonly function: NodejsFunction;
  readonly logGroup: logs.ILogGroup;
  readonly role: iam.IRole;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: BlockplaneFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySizeMiB ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < MIN_MEMORY_MIB || memorySize > MAX_MEMORY_MIB) {
      throw new Error(
        `memorySizeMiB of ${id} must be a whole number from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}; received ${memorySize}`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
      path: FUNCTION_ROLE_PATH,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.function = new NodejsFunction(this, 'Function', {
      entry: repoFile(props.entry, `handler entry of ${id}`),
      handler: 'handler',
      functionName: props.functionName,
      ...(props.network && { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: [props.network.securityGroup] }),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: repoFile('package-lock.json', 'dependency lock file'),
      bundling: {
        externalModules: [],
        minify: true,
        sourceMap: true,
        target: BUNDLE_TARGET,
        forceDockerBundling: false,
      },
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'blockplane',
        // The bundle ships a source map; without this flag stack traces point into minified code.
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    // Lambda checks the network-interface rights when it creates the function: the policy comes first.
    if (props.network) this.function.node.addDependency(this.allowNetworkInterfaces());

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'docs/control-plane.md pins nodejs22.x, the newest runtime whose bundles (target node20) the local cloud also ' +
        'runs on its host Node 20; cdk-nag wants nodejs24.x, and moving to it is a contract change, not a per-function one',
    });
  }

  /**
   * What Lambda needs to attach the function to its subnets (AWS's AWSLambdaVPCAccessExecutionRole,
   * written inline: the role holds no AWS managed policy). These EC2 actions take no resource ARN.
   */
  private allowNetworkInterfaces(): iam.Policy {
    const policy = new iam.Policy(this, 'NetworkInterfaces', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "a function in a VPC needs Lambda's network-interface actions (AWSLambdaVPCAccessExecutionRole); " +
        'the Describe actions support no resource-level permissions, and the role holds nothing else but its log group',
    });
    return policy;
  }
}
