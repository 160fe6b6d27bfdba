import { defaultProvider } from '@aws-sdk/credential-provider-node';
import * as path from 'node:path';
import { loadApiEndpoint } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { DEFAULT_RUN_ROOT } from '../bin/attach-bridge';
import { PreconditionError } from './errors';

/** The global options every command takes (cli/program.ts declares them). */
export interface GlobalOptions {
  readonly outputs?: string;
  readonly runDir?: string;
  readonly output: 'json' | 'table';
  readonly progress: boolean;
}

const DEFAULT_OUTPUTS = 'local/.state/outputs.json';

/** What a command works with: the signed API client, where bridges live, how to print. */
export class Session {
  private client?: SignedHttp;

  constructor(readonly options: GlobalOptions) {}

  /** The deployment's outputs file as an absolute path (the bridge process reads it too). */
  get outputsFile(): string {
    return path.resolve(this.options.outputs ?? process.env.BLOCKPLANE_OUTPUTS ?? DEFAULT_OUTPUTS);
  }

  get runRoot(): string {
    return this.options.runDir ?? DEFAULT_RUN_ROOT;
  }

  /** Progress bars and lines on stderr: with a terminal, unless --no-progress. */
  get showProgress(): boolean {
    return this.options.progress && process.stderr.isTTY === true;
  }

  /** Requests signed with the AWS default credential chain, to the deployment's API. */
  http(): SignedHttp {
    if (this.client) return this.client;
    let endpoint;
    try {
      endpoint = loadApiEndpoint(this.outputsFile);
    } catch (error) {
      throw new PreconditionError(
        `cannot read the deployment outputs (${this.outputsFile}): ${(error as Error).message}. Pass --outputs FILE or set BLOCKPLANE_OUTPUTS.`,
      );
    }
    this.client = new SignedHttp({ baseUrl: endpoint.baseUrl, region: endpoint.region, credentials: defaultProvider() });
    return this.client;
  }
}

/** A line about what is happening, on stderr (stdout carries only the result). */
export const say = (line: string): void => void process.stderr.write(`blockplane: ${line}\n`);
