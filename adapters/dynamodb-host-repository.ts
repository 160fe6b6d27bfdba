import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DiskTotals } from '../core/disk-totals';
import { InsufficientCapacityError, NotFoundError, VersionConflictError } from '../core/errors';
import { diskAllocationOf, diskCanTake, placesPerDisk } from '../core/disk-placement';
import { freeGiB, freeIops, type Host, type RegisteredDisk } from '../core/host';
import { FORMER_DEPENDENCY_SECONDS } from '../core/health/dependency-memory';
import type { FormerReservation, HostRepository, Reservation } from '../core/ports';
import type { VolumeType } from '../core/volume';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/** Tries of one reservation's release before the conflict is reported (each re-reads the reservation first). */
export const RELEASE_ATTEMPTS = 5;

const hostKey = (hostId: string) => ({ pk: `HOST#${hostId}`, sk: 'HOST' });
/** One item per host principal naming the host id it holds (not in the byLocation index: it has no location). */
const principalKey = (principalArn: string) => ({ pk: `PRINCIPAL#${principalArn}`, sk: 'PRINCIPAL' });
const reservationKey = (r: { hostId: string; volumeId: string; copyId: string }) => ({
  pk: `HOST#${r.hostId}`,
  sk: `RESERVATION#${r.volumeId}#${r.copyId}`,
});
/** A released reservation, remembered with its release time (the table's TTL removes it). */
const formerKey = (r: { hostId: string; volumeId: string; copyId: string }) => ({
  pk: `HOST#${r.hostId}`,
  sk: `FORMER#${r.volumeId}#${r.copyId}`,
});

function formerItem(r: { hostId: string; volumeId: string; copyId: string }, at: Date) {
  return {
    ...formerKey(r),
    hostId: r.hostId,
    volumeId: r.volumeId,
    copyId: r.copyId,
    goneAt: at.toISOString(),
    expiresAt: Math.floor(at.getTime() / 1000) + FORMER_DEPENDENCY_SECONDS,
  };
}

/** A copy without a disk (a host placed by its pool) fits by the pool alone; one with a disk needs room there too. */
function diskFits(host: Host, deviceId: string | undefined, gib: number, iops: number): boolean {
  return deviceId === undefined || (placesPerDisk(host) && diskCanTake(host, deviceId, gib, iops));
}

/**
 * The host item's update for a reservation's allocation moving by `gib` and `iops`: its type's pool
 * and, for a reservation on a disk, that disk's entry. With `seen` (the host as read), conditioned
 * on the allocations still being what was read, so a concurrent placement makes it fail.
 */
function allocationChange(reservation: Pick<Reservation, 'type' | 'deviceId'>, gib: number, iops: number, seen?: Host) {
  const names: Record<string, string> = { '#capacity': 'capacity', '#type': reservation.type };
  const values: Record<string, unknown> = { ':gib': gib, ':iops': iops, ':one': 1 };
  const paths = ['#capacity.#type'];
  if (reservation.deviceId !== undefined) {
    names['#disks'] = 'diskAllocations';
    names['#device'] = reservation.deviceId;
    paths.push('#disks.#device');
  }
  const update = `SET ${paths.map((path) => `${path}.allocatedGiB = ${path}.allocatedGiB + :gib, ${path}.allocatedIops = ${path}.allocatedIops + :iops`).join(', ')} ADD version :one`;
  if (!seen) return { update, names, values, condition: undefined };
  const read = [seen.capacity[reservation.type], ...(reservation.deviceId === undefined ? [] : [diskAllocationOf(seen, reservation.deviceId)])];
  paths.forEach((_, index) => {
    values[`:seenGiB${index}`] = read[index]?.allocatedGiB;
    values[`:seenIops${index}`] = read[index]?.allocatedIops;
  });
  const condition = paths.map((path, index) => `${path}.allocatedGiB = :seenGiB${index} AND ${path}.allocatedIops = :seenIops${index}`).join(' AND ');
  return { update, names, values, condition };
}

function toHost(item: Record<string, unknown>): Host {
  const { pk: _pk, sk: _sk, ...host } = item;
  return host as unknown as Host;
}

export class DynamoDbHostRepository implements HostRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async get(hostId: string): Promise<Host | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: hostKey(hostId), ConsistentRead: true }));
    return Item ? toHost(Item) : undefined;
  }

  async register(host: Host): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...hostKey(host.hostId), ...host },
          ConditionExpression: host.version === 1 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: host.version === 1 ? undefined : { ':expected': host.version - 1 },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`host ${host.hostId} was changed by another writer`, { hostId: host.hostId }, { cause: error });
      }
      throw error;
    }
  }

  async recordHeartbeat(hostId: string, at: string, health: string, totals: Partial<Record<VolumeType, DiskTotals>> = {}, disks?: readonly RegisteredDisk[]): Promise<void> {
    const stored = Object.keys(totals).length > 0 ? await this.get(hostId) : undefined;
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':at': at, ':health': health, ':active': 'active' };
    const sets = ['lastHeartbeatAt = :at', 'health = :health', '#status = :active'];
    if (disks) {
      values[':disks'] = disks;
      sets.push('disks = :disks');
    }
    const newTypes: [VolumeType, DiskTotals][] = [];
    for (const [type, total] of Object.entries(totals) as [VolumeType, DiskTotals][]) {
      if (!stored?.capacity[type]) {
        newTypes.push([type, total]);
        continue;
      }
      names['#capacity'] = 'capacity';
      names[`#${type}`] = type;
      values[`:${type}GiB`] = total.capacityGiB;
      values[`:${type}Iops`] = total.iopsCapacity;
      sets.push(`#capacity.#${type}.capacityGiB = :${type}GiB`, `#capacity.#${type}.iopsCapacity = :${type}Iops`);
    }
    // Liveness and totals only: no version bump and no version condition, so a heartbeat never
    // conflicts with a reservation (a reservation's condition covers the totals it relied on).
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: hostKey(hostId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new NotFoundError(`host ${hostId} is not registered`, { hostId }, { cause: error });
      throw error;
    }
    for (const [type, total] of newTypes) await this.addStorageType(hostId, type, total);
  }

  /** A storage type the host did not offer before; if a concurrent heartbeat added it first, that one stands. */
  private async addStorageType(hostId: string, type: VolumeType, total: DiskTotals): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: hostKey(hostId),
          UpdateExpression: 'SET #capacity.#type = :capacity',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#capacity.#type)',
          ExpressionAttributeNames: { '#capacity': 'capacity', '#type': type },
          ExpressionAttributeValues: { ':capacity': { ...total, allocatedGiB: 0, allocatedIops: 0 } },
        }),
      );
    } catch (error) {
      // Another heartbeat added the type in the meantime; the next one updates its totals.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async listInLocation(location: string): Promise<readonly Host[]> {
    const hosts: Host[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byLocation',
          KeyConditionExpression: '#location = :location',
          ExpressionAttributeNames: { '#location': 'location' },
          ExpressionAttributeValues: { ':location': location },
          ExclusiveStartKey: start,
        }),
      );
      hosts.push(...(page.Items ?? []).map(toHost));
      start = page.LastEvaluatedKey;
    } while (start);
    return hosts;
  }

  async reserve(reservations: readonly Reservation[]): Promise<void> {
    const items = [];
    for (const reservation of reservations) {
      const host = await this.get(reservation.hostId);
      const capacity = host?.capacity[reservation.type];
      if (!host || !capacity || freeGiB(capacity) < reservation.sizeGiB || freeIops(capacity) < reservation.iops || !diskFits(host, reservation.deviceId, reservation.sizeGiB, reservation.iops)) {
        throw new InsufficientCapacityError(`host ${reservation.hostId} no longer has room for copy ${reservation.copyId}`, { hostId: reservation.hostId });
      }
      const change = allocationChange(reservation, reservation.sizeGiB, reservation.iops, host);
      items.push(
        {
          Update: {
            TableName: this.tableName,
            Key: hostKey(reservation.hostId),
            UpdateExpression: change.update,
            ConditionExpression: `${change.condition} AND #capacity.#type.capacityGiB = :capacityGiB AND #capacity.#type.iopsCapacity = :iopsCapacity`,
            ExpressionAttributeNames: change.names,
            ExpressionAttributeValues: { ...change.values, ':capacityGiB': capacity.capacityGiB, ':iopsCapacity': capacity.iopsCapacity },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { ...reservationKey(reservation), ...reservation },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      );
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new InsufficientCapacityError('another placement took the capacity first', { hosts: reservations.map((r) => r.hostId) }, { cause: error });
      }
      throw error;
    }
  }

  async release(reservations: readonly { hostId: string; volumeId: string; copyId: string }[]): Promise<void> {
    for (const wanted of reservations) await this.releaseOne(wanted);
  }

  /**
   * Deletes one reservation and gives its capacity back in one transaction. A cancelled
   * transaction counts as released only when the reservation is gone (a concurrent release won);
   * any other cancellation (a concurrent reservation or heartbeat on the same host item) is
   * retried, at most RELEASE_ATTEMPTS times, then reported, so capacity is never silently leaked.
   * The same transaction remembers the copy as a former dependent of the host (docs/health.md).
   */
  private async releaseOne(wanted: { hostId: string; volumeId: string; copyId: string }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: reservationKey(wanted), ConsistentRead: true }));
      if (!Item) return;
      const reservation = Item as unknown as Reservation;
      const release = allocationChange(reservation, -reservation.sizeGiB, -reservation.iops);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: this.tableName, Key: reservationKey(wanted), ConditionExpression: 'attribute_exists(pk)' } },
              { Put: { TableName: this.tableName, Item: formerItem(wanted, new Date()) } },
              {
                Update: {
                  TableName: this.tableName,
                  Key: hostKey(wanted.hostId),
                  UpdateExpression: release.update,
                  ExpressionAttributeNames: release.names,
                  ExpressionAttributeValues: release.values,
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error) && (error as { name?: string }).name !== 'TransactionConflictException') throw error;
        if (attempt >= RELEASE_ATTEMPTS) {
          throw new VersionConflictError(
            `reservation of copy ${wanted.copyId} on host ${wanted.hostId} could not be released after ${RELEASE_ATTEMPTS} attempts`,
            { hostId: wanted.hostId, copyId: wanted.copyId },
            { cause: error },
          );
        }
        // Loop: read again; a reservation that is gone now was released by a concurrent release.
      }
    }
  }

  async formerReservationsOf(hostId: string): Promise<readonly FormerReservation[]> {
    const since = new Date(Date.now() - FORMER_DEPENDENCY_SECONDS * 1000).toISOString();
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'goneAt >= :since',
        ExpressionAttributeValues: { ':pk': `HOST#${hostId}`, ':prefix': 'FORMER#', ':since': since },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map((item) => ({ hostId: item.hostId, volumeId: item.volumeId, copyId: item.copyId, goneAt: item.goneAt }) as FormerReservation);
  }

  async resize(wanted: Reservation): Promise<void> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: reservationKey(wanted), ConsistentRead: true }));
    if (!Item) throw new NotFoundError(`copy ${wanted.copyId} holds no reservation on host ${wanted.hostId}`, { hostId: wanted.hostId, copyId: wanted.copyId });
    const held = Item as unknown as Reservation;
    const gib = wanted.sizeGiB - held.sizeGiB;
    const iops = wanted.iops - held.iops;
    if (gib === 0 && iops === 0) return;
    const host = await this.get(wanted.hostId);
    const capacity = host?.capacity[held.type];
    if (!host || !capacity || freeGiB(capacity) < gib || freeIops(capacity) < iops || !diskFits(host, held.deviceId, gib, iops)) {
      throw new InsufficientCapacityError(`host ${wanted.hostId} has no room to grow copy ${wanted.copyId} by ${gib} GiB and ${iops} IOPS`, { hostId: wanted.hostId });
    }
    const change = allocationChange(held, gib, iops, host);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: reservationKey(wanted),
                UpdateExpression: 'SET sizeGiB = :gib, iops = :iops',
                ConditionExpression: 'sizeGiB = :heldGiB AND iops = :heldIops',
                ExpressionAttributeValues: { ':gib': wanted.sizeGiB, ':iops': wanted.iops, ':heldGiB': held.sizeGiB, ':heldIops': held.iops },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: hostKey(wanted.hostId),
                UpdateExpression: change.update,
                ConditionExpression: change.condition,
                ExpressionAttributeNames: change.names,
                ExpressionAttributeValues: change.values,
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new InsufficientCapacityError('another placement changed the host first', { hostId: wanted.hostId }, { cause: error });
      }
      throw error;
    }
  }

  async bindPrincipal(principalArn: string, hostId: string): Promise<string | undefined> {
    const { Attributes } = await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...principalKey(principalArn), principalArn, hostId }, ReturnValues: 'ALL_OLD' }),
    );
    const previous = Attributes?.hostId as string | undefined;
    return previous !== undefined && previous !== hostId ? previous : undefined;
  }

  async hostIdOf(principalArn: string): Promise<string | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: principalKey(principalArn), ConsistentRead: true }));
    return Item?.hostId as string | undefined;
  }

  async markUnreachable(hostId: string, seenHeartbeatAt: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: hostKey(hostId),
          UpdateExpression: 'SET #status = :unreachable ADD version :one',
          ConditionExpression: '#status = :active AND lastHeartbeatAt = :seen',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':unreachable': 'unreachable', ':active': 'active', ':seen': seenHeartbeatAt, ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async reservationsOf(hostId: string): Promise<readonly Reservation[]> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `HOST#${hostId}`, ':prefix': 'RESERVATION#' },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map((item) => {
      const { pk: _pk, sk: _sk, ...reservation } = item;
      return reservation as Reservation;
    });
  }
}
