import { ForbiddenError, NotFoundError } from '../errors';
import type { Host } from '../host';
import type { HostRepository } from '../ports';

/**
 * The host record, if `principalArn` is the principal the host registered with and the host
 * id that principal holds now (a principal that registered another host id retired this one).
 */
export async function authorizeHost(hosts: HostRepository, principalArn: string, hostId: string): Promise<Host> {
  const host = await hosts.get(hostId);
  if (!host) throw new NotFoundError(`host ${hostId} is not registered`, { hostId });
  if (host.principalArn !== principalArn) {
    throw new ForbiddenError(`host ${hostId} is registered to another principal`, { hostId });
  }
  const bound = await hosts.hostIdOf(principalArn);
  if (bound !== undefined && bound !== hostId) {
    throw new ForbiddenError(`host ${hostId} was retired: its principal registered host ${bound} since`, { hostId, currentHostId: bound });
  }
  return host;
}
