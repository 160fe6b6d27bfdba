import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Endpoint, EndpointReach } from './endpoint-reach';

/** What the probe function (`lambdas/events/probe-endpoints.ts`) is asked and answers. */
export interface ProbeEndpointsRequest {
  readonly endpoints: readonly Endpoint[];
}
export interface ProbeEndpointsAnswer {
  readonly answered: boolean;
}

/**
 * Tries the endpoints from the probe function the fleet stack runs inside the hosts' VPC (the
 * only place their NBD ports are open to), invoked synchronously. A failed invocation throws:
 * the evaluator cannot tell a quiet host's daemons from an unreachable probe.
 */
export class LambdaEndpointReach implements EndpointReach {
  constructor(
    private readonly functionName: string,
    private readonly lambda: LambdaClient = new LambdaClient({}),
  ) {}

  async anyAnswers(endpoints: readonly Endpoint[]): Promise<boolean> {
    const request: ProbeEndpointsRequest = { endpoints };
    const { FunctionError, Payload } = await this.lambda.send(new InvokeCommand({ FunctionName: this.functionName, Payload: JSON.stringify(request) }));
    const text = Payload ? Buffer.from(Payload).toString('utf8') : '';
    if (FunctionError) throw new Error(`the host probe function ${this.functionName} failed: ${text.slice(0, 512)}`);
    return (JSON.parse(text) as ProbeEndpointsAnswer).answered === true;
  }
}
