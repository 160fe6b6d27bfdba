import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// cdk-nag quotes a resource in a finding id through this function; using it keeps our ids identical.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/** One kind of wildcard resource that a CDK grant writes, with why it is acceptable. */
export interface GrantWildcard {
  /** ARNs the grant widens, as tokens (`table.tableArn`, `fn.functionArn`). */
  readonly arns: readonly string[];
  /** What the grant appends to each ARN (`/index/*` for a table's indexes, `:*` for a function's versions). */
  readonly suffix: string;
  /** Why the wildcard is needed: the acknowledgement's reason. */
  readonly reason: string;
}

/**
 * Acknowledges the `AwsSolutions-IAM5` findings for exactly `<arn><suffix>`, on `scope` and its children.
 *
 * cdk-nag names each wildcard finding after the resource as written in the policy's own stack,
 * and a cross-stack ARN only becomes an `Fn::ImportValue` while the app is prepared for
 * synthesis. So the ids are worked out in a construct validation, which CDK runs after
 * references are resolved and before validation plugins such as cdk-nag see the tree.
 * Nothing wider than the listed ARNs is acknowledged.
 */
export function acknowledgeGrantWildcards(scope: IConstruct, wildcard: GrantWildcard): void {
  scope.node.addValidation({
    validate: () => {
      const stack = Stack.of(scope);
      for (const arn of wildcard.arns) {
        const resource = `${flattenCfnReference(stack.resolve(arn))}${wildcard.suffix}`;
        Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: wildcard.reason });
      }
      return [];
    },
  });
}

/** Why a grant on a table with global secondary indexes may read `<table arn>/index/*`. */
export const TABLE_INDEX_REASON =
  'CDK table grants cover the table and its global secondary indexes as <table arn>/index/*; ' +
  'the wildcard is limited to indexes of this one table, which the handlers query';

/** Why a state machine may invoke `<function arn>:*`. */
export const FUNCTION_VERSION_REASON =
  'grantInvoke covers <function arn>:* so that the state machine may call published versions and aliases ' +
  'of this one function; no other function is reachable';
