import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface ConsoleSiteProps {
  /** The console build (`npm run build:console` writes console/dist): index.html and assets/. */
  readonly buildDir: string;
}

/**
 * The console's bucket and its content (docs/console.md, "Serving"): the build's files, each put
 * by a custom resource (putObject) at deploy time, so a redeploy puts exactly what was built, and
 * deleted (deleteObject) when its file leaves the build or the stack is destroyed. The bucket holds
 * nothing the deploy cannot write again, so it goes with the stack (DESTROY, unlike the data buckets).
 */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const files = buildFiles(props.buildDir);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'holds only the public console build (HTML, scripts, styles) that the deploy itself writes; nothing in it is data, so reads need no access log',
    });
    acknowledgeGrantWildcards(this, { arns: [this.bucket.bucketArn], suffix: '/*', reason: 'the deploy puts and deletes the console build, one object per file, in this bucket only' });
    const writeObjects = iam.PolicyStatement.fromJson({ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: this.bucket.arnForObjects('*') });
    for (const file of files) {
      const body = fs.readFileSync(path.join(props.buildDir, file), 'utf-8');
      const object = { Bucket: this.bucket.bucketName, Key: file };
      const put = {
        service: 'S3',
        action: 'putObject',
        parameters: { ...object, Body: body },
        physicalResourceId: cr.PhysicalResourceId.of(`console/${file}`),
      };
      new cr.AwsCustomResource(this, fileResourceId(file), {
        onCreate: put,
        onUpdate: put,
        onDelete: { service: 'S3', action: 'deleteObject', parameters: object },
        policy: cr.AwsCustomResourcePolicy.fromStatements([writeObjects]),
        installLatestAwsSdk: false,
      });
    }
    // The one provider function every AwsCustomResource of the stack shares (CDK names it so).
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) acknowledgeCustomResourceProvider(provider);
  }
}

/**
 * One resource per file name, not per position in the build: a file that leaves the build is
 * deleted by its own resource's removal, and never by a resource whose position it took.
 */
const fileResourceId = (file: string) => `File${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;

/** Every file under `buildDir`, relative, with `/` separators; throws when there is no build. */
export function buildFiles(buildDir: string): string[] {
  if (!fs.existsSync(path.join(buildDir, 'index.html'))) {
    throw new Error(`no console build in ${buildDir} (index.html missing): run 'npm run build:console' first`);
  }
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.relative(buildDir, path.join(dir, entry.name)).split(path.sep).join('/')],
    );
  return walk(buildDir).sort();
}

const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The singleton function AwsCustomResource adds: CDK's own, with its basic-execution managed policy. */
function acknowledgeCustomResourceProvider(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "the custom-resource provider CDK adds to put the console files; AWS maintains this policy (its own logs only)",
  });
  Validations.of(scope).acknowledge({ id: 'AwsSolutions-L1', reason: "the custom-resource provider's runtime is the one CDK pins for it" });
}
