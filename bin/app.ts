#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth|deploy`. Context keys are listed in lib/blockplane-app.ts;
 * `-c fleet=true` adds the BlockplaneFleet stack (EC2 storage hosts; the local cloud deploys it
 * into the image parameter and VPC local/fleet-seed.ts seeds);
 * `-c nag=true` also runs the cdk-nag AwsSolutions checks and fails synthesis on any finding
 * that is not acknowledged (test/infra runs the same checks on every test run).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addBlockplaneStacks } from '../lib/blockplane-app';

const app = new App();
addBlockplaneStacks(app, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
if (['true', true].includes(app.node.tryGetContext('nag'))) {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
app.synth();
