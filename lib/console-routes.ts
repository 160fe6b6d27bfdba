import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BlockplaneFunction } from './blockplane-function';
import { acknowledgeGrantWildcards } from './nag-acknowledgements';

/** A route as ApiStack builds it (its `Route`), for the console's static files. */
export interface ConsoleRoute {
  readonly id: string;
  readonly method: 'GET';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
  readonly unauthenticated: true;
}

/**
 * The console's routes (docs/console.md, "Serving"): unauthenticated, since they serve only the
 * static build; each function may read that bucket and nothing else.
 */
export function consoleRoutes(bucket: s3.IBucket): ConsoleRoute[] {
  const route = (id: string, path: string, description: string): ConsoleRoute => ({
    id, method: 'GET', path, entry: 'lambdas/api/console-file.ts', description,
    grant: (fn) => {
      // GetObject only: no listing, no bucket reads (grantRead would add s3:List* and s3:GetBucket*).
      fn.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }));
      acknowledgeGrantWildcards(fn, { arns: [bucket.bucketArn], suffix: '/*', reason: 'reads any file of the console build, the only content of this bucket; it writes nothing' });
    },
    environment: { CONSOLE_BUCKET: bucket.bucketName },
    unauthenticated: true,
  });
  return [
    route('ConsoleEntry', '/console', 'The console: redirects to its index.html'),
    route('ConsoleFile', '/console/{file}', "One of the console's top-level files (index.html)"),
    route('ConsoleAsset', '/console/assets/{file}', "One of the console's scripts or styles"),
  ];
}
