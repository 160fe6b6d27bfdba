import { z } from 'zod';
import { EndpointSchema, TcpEndpointReach } from '../../adapters/endpoint-reach';
import { PROBED_EXPORTS } from '../../adapters/export-host-probe';
import type { ProbeEndpointsAnswer } from '../../adapters/lambda-endpoint-reach';

/** What the evaluator sends (`LambdaEndpointReach`): the exports of one quiet host. */
const RequestSchema = z.strictObject({ endpoints: z.array(EndpointSchema).min(1).max(PROBED_EXPORTS) });

const reach = new TcpEndpointReach();

/**
 * The host probe inside the hosts' VPC (docs/health.md, "Levels"): a TCP handshake with each
 * endpoint in turn until one answers. It reads and writes nothing; its security group lets it
 * reach only the hosts' NBD ports.
 */
export const handler = async (event: unknown): Promise<ProbeEndpointsAnswer> => {
  const { endpoints } = RequestSchema.parse(event);
  return { answered: await reach.anyAnswers(endpoints) };
};
