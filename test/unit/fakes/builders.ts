import { HostStatus, type Host, type TypeCapacity } from '../../../core/host';
import type { Volume } from '../../../core/volume';
import { VolumeStatus } from '../../../core/volume-status';

export const AT = '2025-01-01T00:00:00.000Z';
export const TENANT = 'arn:aws:iam::111111111111:role/alice';
export const OTHER_TENANT = 'arn:aws:iam::222222222222:role/bob';
export const HOST_PRINCIPAL = 'arn:aws:sts::333333333333:assumed-role/blockplane-fleet/i-0aaaaaaaaaaaaaaa1';
export const OTHER_HOST_PRINCIPAL = 'arn:aws:sts::333333333333:assumed-role/blockplane-fleet/i-0bbbbbbbbbbbbbbb2';

export function capacity(overrides: Partial<TypeCapacity> = {}): TypeCapacity {
  return { capacityGiB: 1000, allocatedGiB: 0, iopsCapacity: 100_000, allocatedIops: 0, ...overrides };
}

export function aHost(overrides: Partial<Host> = {}): Host {
  return {
    hostId: 'host-a',
    location: 'zone-a',
    address: '10.0.0.1',
    agentVersion: '1.0.0',
    principalArn: HOST_PRINCIPAL,
    status: HostStatus.active,
    health: 'ok',
    capacity: { ssd: capacity() },
    lastHeartbeatAt: AT,
    registeredAt: AT,
    version: 1,
    ...overrides,
  };
}

let volumeCounter = 0;
/** Volume ids must match VOLUME_ID_PATTERN; a counter keeps them unique and readable. */
export function aVolumeId(): string {
  volumeCounter += 1;
  return `vol-${volumeCounter.toString(16).padStart(17, '0')}`;
}

export function aVolume(overrides: Partial<Volume> = {}): Volume {
  return {
    volumeId: aVolumeId(),
    tenantId: TENANT,
    sizeGiB: 100,
    type: 'ssd',
    iops: 3000,
    location: 'zone-a',
    status: VolumeStatus.creating,
    copies: [],
    generation: 1,
    attachments: [],
    version: 1,
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}
