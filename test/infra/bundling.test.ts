/**
 * The one infra test that runs esbuild: every handler entry bundles with our settings, and
 * the AWS SDK is inside the bundle (the local cloud's Lambda runtime provides none).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYNTH_TIMEOUT_MS, synthesizeBlockplane } from './synth';

interface Bundle {
  readonly code: string;
  readonly hasSourceMap: boolean;
}

let bundles: Record<string, Bundle>;
beforeAll(() => {
  bundles = {};
  synthesizeBlockplane({
    bundle: true,
    inspect: (assembly) => {
      for (const stack of assembly.stacks) {
        for (const [id, resource] of Object.entries(stack.template.Resources as Record<string, any>)) {
          if (resource.Type !== 'AWS::Lambda::Function') continue;
          // CDK's own AwsCustomResource provider (it puts the console build at deploy time) is not ours to bundle.
          if (id.startsWith('AWS679f53fac002430cb0da5b7982bd2287')) continue;
          const assetDir = path.join(assembly.directory, `asset.${String(resource.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
          bundles[`${stack.stackName}/${id}`] = {
            code: fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8'),
            hasSourceMap: fs.existsSync(path.join(assetDir, 'index.js.map')),
          };
        }
      }
    },
  });
}, SYNTH_TIMEOUT_MS);

describe('function bundles', () => {
  test('when the app is synthesized with bundling, each of the ninety-one functions (65 API, 13 task, 5 scheduled, 3 diagnostics, 4 audit, 1 webhook) gets a bundle', () => {
    // Assess
    expect(Object.keys(bundles)).toHaveLength(91);
  });

  test('when a handler is bundled, the bundle is minified, has a source map and carries the AWS SDK inside', () => {
    // Assess
    for (const [name, bundle] of Object.entries(bundles)) {
      expect({ name, hasSourceMap: bundle.hasSourceMap }).toEqual({ name, hasSourceMap: true });
      expect({ name, requiresSdk: /require\(["']@aws-sdk\/(client|lib)-/.test(bundle.code) }).toEqual({ name, requiresSdk: false });
      expect({ name, hasDynamoDbClient: bundle.code.includes('DynamoDB_20120810') }).toEqual({ name, hasDynamoDbClient: true });
      // Minified code averages thousands of characters a line; plain esbuild output, well under a hundred.
      const averageLine = bundle.code.length / bundle.code.split('\n').length;
      expect({ name, minified: averageLine > 1000 }).toEqual({ name, minified: true });
    }
  });
});
