#!/usr/bin/env node
/**
 * The storage-host agent: `node bin/agent.ts --host-id ID --location LOC --address IP
 * --data-dir DIR --device PATH[:ssd|hdd[:IOPS]] … [--netns NAME] [--nbd-ports 10800-10999]
 * [--heartbeat-interval-ms 5000] [--poll-wait-seconds 10] [--log-level info]`
 * (see agent/README.md, "The agent process").
 *
 * The API base URL comes from `loadApiEndpoint()` (`BLOCKPLANE_OUTPUTS`, and `AWS_ENDPOINT_URL`
 * for the local cloud); credentials from the AWS default provider chain (environment
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` first, the instance profile on EC2). Logs are
 * JSON lines on stderr. SIGTERM/SIGINT: stop polling, quit every daemon, release every lock,
 * exit 0. Exit 2: bad flags; exit 1: the agent could not start.
 *
 * `node bin/agent.ts lease-guard --lease-file FILE` runs the lease guard instead
 * (agent/lease/lease-guard.ts); the agent starts it itself, as a detached process.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { ProxyAgent, setGlobalDispatcher } from 'undici';
import { HostApi } from '../client/blockplane-api';
import { loadApiEndpoint } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { AgentOptionsError } from '../agent/errors';
import { AgentCliOptions, USAGE, parseAgentArgs } from '../agent/process/agent-options';
import { AgentProcess } from '../agent/process/agent-process';
import { LeaseGuard } from '../agent/lease/lease-guard';
import { JsonLineLogger, LogLevel } from '../agent/util/logger';

const LEVELS: Record<AgentCliOptions['logLevel'], LogLevel> = { debug: LogLevel.Debug, info: LogLevel.Info, warn: LogLevel.Warn, error: LogLevel.Error };

async function runLeaseGuard(argv: readonly string[]): Promise<void> {
  const index = argv.indexOf('--lease-file');
  const leaseFile = index >= 0 ? argv[index + 1] : undefined;
  if (!leaseFile || !leaseFile.startsWith('/')) {
    process.stderr.write('usage: blockplane-agent lease-guard --lease-file /ABSOLUTE/PATH\n');
    process.exit(2);
  }
  const guard = new LeaseGuard({ leaseFile, logger: new JsonLineLogger({ component: 'lease-guard' }, LogLevel.Info) });
  process.on('SIGTERM', () => guard.stop());
  process.on('SIGINT', () => guard.stop());
  await guard.run();
  process.exit(0);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'lease-guard') return runLeaseGuard(process.argv.slice(3));
  let options: AgentCliOptions;
  try {
    options = parseAgentArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof AgentOptionsError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const logger = new JsonLineLogger({ hostId: options.hostId }, LEVELS[options.logLevel]);
  // fetch carries only the presigned-URL chunk transfers (the control-plane calls go through SignedHttp's node:http).
  if (options.transferProxy) setGlobalDispatcher(new ProxyAgent(options.transferProxy));
  const deployment = loadApiEndpoint();
  const http = new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: defaultProvider() });
  // The guard is this same program (script or bundle) with `lease-guard`.
  const leaseGuardCommand = [process.execPath, ...process.execArgv, process.argv[1] as string, 'lease-guard'];
  const agent = new AgentProcess({ ...options, api: new HostApi(http), leaseGuardCommand, logger });

  let exiting = false;
  const shutdown = (signal: string, code: number): void => {
    if (exiting) return;
    exiting = true;
    logger.info('signal received; shutting down', { signal });
    agent.stop().then(
      () => process.exit(code),
      (error: Error) => {
        logger.error('shutdown failed', { error: error.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('unhandledRejection', (reason) => {
    // Logged, not fatal: exiting would take every copy's daemon down with the agent.
    logger.error('unhandled rejection', { error: reason instanceof Error ? reason.stack : String(reason) });
  });

  logger.info('agent starting', { baseUrl: deployment.baseUrl, region: deployment.region, devices: options.devices, netns: options.netns, nbdPorts: options.nbdPorts, transferProxy: options.transferProxy });
  try {
    await agent.start();
  } catch (error) {
    logger.error('agent could not start', { error: (error as Error).message, cause: ((error as Error).cause as Error | undefined)?.message });
    if (!exiting) {
      exiting = true;
      await agent.stop().catch(() => undefined);
      process.exit(1);
    }
  }
}

void main();
