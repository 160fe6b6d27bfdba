import { ForbiddenError, NotFoundError } from '../errors';
import type { Host } from '../host';
import type { HostRepository } from '../ports';

/** The host record, if `principalArn` is the principal the host registered with. */
export async function authorizeHost(hosts: HostRepository, principalArn: string, hostId: string): Promise<Host> {
  const host = await hosts.get(hostId);
  if (!host) throw new NotFoundError(`host ${hostId} is not registered`, { hostId });
  if (host.principalArn !== principalArn) {
    throw new ForbiddenError(`host ${hostId} is registered to another principal`, { hostId });
  }
  return host;
}
