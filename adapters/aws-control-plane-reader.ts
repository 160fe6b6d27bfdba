import { DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, paginateListRoles } from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { excessStatements, type BucketFacts, type ControlPlaneFacts, type RoleFacts, type TableFacts, type VolumeFacts } from '../core/audit/control-plane-facts';
import type { ControlPlaneReader } from '../core/audit/use-cases/assert-control-plane';
import { createDocumentClient } from './dynamodb-document-client';

/** The one managed policy a function role may hold (its log group's writes come from an inline grant otherwise). */
const ALLOWED_MANAGED_POLICIES = new Set(['AWSLambdaBasicExecutionRole']);

export interface AuditedResources {
  readonly volumesTable: string;
  readonly buckets: readonly string[];
  readonly tables: readonly string[];
  /** The IAM path under which every function role of every stack is (FUNCTION_ROLE_PATH): each role there is audited. */
  readonly rolePath: string;
}

/** Reads the real resources through the SDK: the volumes table (scan), each bucket and table, and every function role under the role path. */
export class AwsControlPlaneReader implements ControlPlaneReader {
  constructor(
    private readonly resources: AuditedResources,
    private readonly documents: DynamoDBDocumentClient = createDocumentClient(),
    private readonly dynamodb: DynamoDBClient = new DynamoDBClient({}),
    private readonly s3: S3Client = new S3Client({}),
    private readonly iam: IAMClient = new IAMClient({}),
  ) {}

  async read(): Promise<ControlPlaneFacts> {
    const [volumes, buckets, tables, roles] = await Promise.all([
      this.volumes(),
      Promise.all(this.resources.buckets.map((name) => this.bucket(name))),
      Promise.all(this.resources.tables.map((name) => this.table(name))),
      this.roleNames().then((names) => Promise.all(names.map((name) => this.role(name)))),
    ]);
    return { volumes, buckets, tables, roles };
  }

  private async volumes(): Promise<VolumeFacts[]> {
    const volumes: VolumeFacts[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.resources.volumesTable,
          FilterExpression: 'sk = :volume',
          ExpressionAttributeValues: { ':volume': 'VOLUME' },
          ProjectionExpression: 'volumeId, #s, statusReason, generation, copies',
          ExpressionAttributeNames: { '#s': 'status' },
          ExclusiveStartKey: start,
        }),
      );
      volumes.push(...((page.Items ?? []) as VolumeFacts[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return volumes;
  }

  private async bucket(name: string): Promise<BucketFacts> {
    const block = await this.s3.send(new GetPublicAccessBlockCommand({ Bucket: name })).catch(absentAs('NoSuchPublicAccessBlockConfiguration', undefined));
    const settings = block?.PublicAccessBlockConfiguration;
    const publicAccessBlocked = Boolean(settings?.BlockPublicAcls && settings.BlockPublicPolicy && settings.IgnorePublicAcls && settings.RestrictPublicBuckets);
    const policy = await this.s3.send(new GetBucketPolicyCommand({ Bucket: name })).catch(absentAs('NoSuchBucketPolicy', undefined));
    return { name, publicAccessBlocked, deniesNonTls: deniesInsecureTransport(policy?.Policy) };
  }

  private async table(name: string): Promise<TableFacts> {
    const [{ Table }, { ContinuousBackupsDescription }] = await Promise.all([
      this.dynamodb.send(new DescribeTableCommand({ TableName: name })),
      this.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: name })),
    ]);
    return {
      name,
      sseStatus: Table?.SSEDescription?.Status ?? 'AWS_OWNED',
      pitrStatus: ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus ?? 'DISABLED',
    };
  }

  private async roleNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListRoles({ client: this.iam }, { PathPrefix: this.resources.rolePath })) {
      names.push(...(page.Roles ?? []).flatMap((role) => (role.RoleName ? [role.RoleName] : [])));
    }
    return names;
  }

  private async role(name: string): Promise<RoleFacts> {
    let excessGrants = 0;
    const { PolicyNames = [] } = await this.iam.send(new ListRolePoliciesCommand({ RoleName: name }));
    for (const policyName of PolicyNames) {
      const { PolicyDocument } = await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
      if (PolicyDocument) excessGrants += excessStatements(JSON.parse(decodeURIComponent(PolicyDocument)) as { Statement?: unknown });
    }
    const { AttachedPolicies = [] } = await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    excessGrants += AttachedPolicies.filter((policy) => !ALLOWED_MANAGED_POLICIES.has(policy.PolicyName ?? '')).length;
    return { name, excessGrants };
  }
}

/** A missing configuration is a finding (FAIL), not an error of the asserter. */
function absentAs<T>(errorName: string, value: T) {
  return (error: unknown): T => {
    if ((error as { name?: string }).name === errorName) return value;
    throw error;
  };
}

/** The bucket policy denies every request where `aws:SecureTransport` is false. */
export function deniesInsecureTransport(policy: string | undefined): boolean {
  if (!policy) return false;
  const statements = ([] as unknown[]).concat((JSON.parse(policy) as { Statement?: unknown }).Statement ?? []) as {
    Effect?: string;
    Condition?: { Bool?: Record<string, unknown> };
  }[];
  return statements.some((statement) => statement.Effect === 'Deny' && String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false');
}
