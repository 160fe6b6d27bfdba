import { readFileSync } from 'node:fs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaEndpointReach } from '../../adapters/lambda-endpoint-reach';
import { handshakePorts, type HandshakePorts } from '../agent/helpers/nbd-clients';

/**
 * The health evaluator's probe of quiet hosts as deployed: BlockplaneFleet's probe function
 * (in the hosts' VPC on AWS), named by the deployed evaluator's configuration and invoked through
 * the real SDK as the evaluator invokes it.
 * The local cloud runs the function on this machine, so a TCP listener on 127.0.0.1 stands in
 * for a daemon's NBD port (the probe only handshakes).
 */
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;

let ports: HandshakePorts;
beforeAll(async () => {
  ports = await handshakePorts();
});
afterAll(() => ports.close());

test('when the evaluator invokes the deployed probe function, it answers whether a host port takes a handshake, and a bad request fails the invocation', async () => {
  // Given the probe function the deployed evaluator is configured to invoke
  const evaluator = await new LambdaClient({}).send(new GetFunctionConfigurationCommand({ FunctionName: outputs.BlockplaneHealth.EvaluateHealthFunctionName }));
  const probeFunction = evaluator.Environment?.Variables?.HOST_PROBE_FUNCTION_NAME ?? '';
  const reach = new LambdaEndpointReach(probeFunction);
  // When
  const answers = [await reach.anyAnswers([{ address: '127.0.0.1', port: ports.closed }, { address: '127.0.0.1', port: ports.open }]), await reach.anyAnswers([{ address: '127.0.0.1', port: ports.closed }])];
  const refused = await reach.anyAnswers([]).then(() => 'answered', (error: Error) => error.message);
  // Then
  expect(probeFunction).toBe('blockplane-host-probe');
  expect(answers).toEqual([true, false]);
  expect(refused).toMatch(/^the host probe function blockplane-host-probe failed: .*(ZodError|too_small)/);
}, 60_000);
