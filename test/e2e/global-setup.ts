import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createLocalIdentities } from '../../local/identities';

/** Local tenants and storage-host principals the end-to-end tests act as. */
export const E2E_TENANTS = ['a', 'b', 'fuzz'] as const;
export const E2E_HOSTS = ['h1', 'h2', 'h3', 'h4', 'fuzz1', 'fuzz2', 'fuzz3'] as const;

/**
 * Makes sure the local cloud runs and the app is deployed (once per test run), then
 * creates the IAM identities. Tests take the endpoint only from AWS_ENDPOINT_URL and
 * names only from the outputs file, so pointing both elsewhere runs the same suite there.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.BLOCKPLANE_OUTPUTS ??= 'local/.state/outputs.json';
  if (process.env.AWS_ENDPOINT_URL.startsWith('http://127.0.0.1')) {
    execFileSync('bash', ['local/cloud.sh', 'start'], { stdio: 'inherit' });
    if (!existsSync(process.env.BLOCKPLANE_OUTPUTS)) execFileSync('bash', ['local/cloud.sh', 'deploy'], { stdio: 'inherit' });
  }
  await createLocalIdentities(E2E_TENANTS, E2E_HOSTS);
}
