import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaEndpointReach } from '../../adapters/lambda-endpoint-reach';

/**
 * The health evaluator's probe of quiet hosts as deployed: BlockplaneFleet's probe function
 * (in the hosts' VPC on AWS), named by the deployed evaluator's configuration and invoked through
 * the real SDK as the evaluator invokes it.
 * The local cloud runs the function on this machine, so a TCP listener on 127.0.0.1 stands in
 * for a daemon's NBD port (the probe only handshakes).
 */
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;

let listening: Server;
let open: number;
let closed: number;
const portOf = (server: Server) => (server.address() as { port: number }).port;
beforeAll(async () => {
  listening = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  open = portOf(listening);
  const unused = createServer();
  await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
  closed = portOf(unused);
  await new Promise<void>((resolve) => unused.close(() => resolve()));
});
afterAll(() => new Promise<void>((resolve) => listening.close(() => resolve())));

test('when the evaluator invokes the deployed probe function, it answers whether a host port takes a handshake, and a bad request fails the invocation', async () => {
  // Given the probe function the deployed evaluator is configured to invoke
  const evaluator = await new LambdaClient({}).send(new GetFunctionConfigurationCommand({ FunctionName: outputs.BlockplaneHealth.EvaluateHealthFunctionName }));
  const probeFunction = evaluator.Environment?.Variables?.HOST_PROBE_FUNCTION_NAME ?? '';
  const reach = new LambdaEndpointReach(probeFunction);
  // When
  const answers = [await reach.anyAnswers([{ address: '127.0.0.1', port: closed }, { address: '127.0.0.1', port: open }]), await reach.anyAnswers([{ address: '127.0.0.1', port: closed }])];
  const refused = await reach.anyAnswers([]).then(() => 'answered', (error: Error) => error.message);
  // Then
  expect(probeFunction).toBe('blockplane-host-probe');
  expect(answers).toEqual([true, false]);
  expect(refused).toMatch(/^the host probe function blockplane-host-probe failed: .*ZodError|too_small/);
}, 60_000);
