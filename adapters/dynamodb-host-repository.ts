import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InsufficientCapacityError, VersionConflictError } from '../core/errors';
import { freeGiB, freeIops, type Host } from '../core/host';
import type { CapacityUpdate, HostRepository, Reservation } from '../core/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/** Tries of one reservation's release before the conflict is reported (each re-reads the reservation first). */
export const RELEASE_ATTEMPTS = 5;

const hostKey = (hostId: string) => ({ pk: `HOST#${hostId}`, sk: 'HOST' });
const reservationKey = (r: { hostId: string; volumeId: string; copyId: string }) => ({
  pk: `HOST#${r.hostId}`,
  sk: `RESERVATION#${r.volumeId}#${r.copyId}`,
});

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

  async recordHeartbeat(hostId: string, at: string, health: string, capacity?: CapacityUpdate): Promise<void> {
    const sets = ['lastHeartbeatAt = :at', 'health = :health', '#status = :active'];
    const values: Record<string, unknown> = { ':at': at, ':health': health, ':active': 'active', ':one': 1 };
    if (capacity) {
      sets.push('#capacity = :capacity');
      values[':capacity'] = capacity.capacity;
      values[':expected'] = capacity.expectedVersion;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: hostKey(hostId),
          UpdateExpression: `SET ${sets.join(', ')} ADD version :one`,
          ConditionExpression: capacity ? 'version = :expected' : 'attribute_exists(pk)',
          ExpressionAttributeNames: capacity ? { '#status': 'status', '#capacity': 'capacity' } : { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`host ${hostId} was changed by another writer`, { hostId }, { cause: error });
      }
      throw error;
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
      if (!host || !capacity || freeGiB(capacity) < reservation.sizeGiB || freeIops(capacity) < reservation.iops) {
        throw new InsufficientCapacityError(`host ${reservation.hostId} no longer has room for copy ${reservation.copyId}`, { hostId: reservation.hostId });
      }
      items.push(
        {
          Update: {
            TableName: this.tableName,
            Key: hostKey(reservation.hostId),
            UpdateExpression: 'SET #capacity.#type.allocatedGiB = #capacity.#type.allocatedGiB + :gib, #capacity.#type.allocatedIops = #capacity.#type.allocatedIops + :iops ADD version :one',
            ConditionExpression: '#capacity.#type.allocatedGiB = :seenGiB AND #capacity.#type.allocatedIops = :seenIops AND #capacity.#type.capacityGiB = :capacityGiB AND #capacity.#type.iopsCapacity = :iopsCapacity',
            ExpressionAttributeNames: { '#capacity': 'capacity', '#type': reservation.type },
            ExpressionAttributeValues: {
              ':gib': reservation.sizeGiB,
              ':iops': reservation.iops,
              ':seenGiB': capacity.allocatedGiB,
              ':seenIops': capacity.allocatedIops,
              ':capacityGiB': capacity.capacityGiB,
              ':iopsCapacity': capacity.iopsCapacity,
              ':one': 1,
            },
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
   */
  private async releaseOne(wanted: { hostId: string; volumeId: string; copyId: string }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: reservationKey(wanted), ConsistentRead: true }));
      if (!Item) return;
      const reservation = Item as unknown as Reservation;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: this.tableName, Key: reservationKey(wanted), ConditionExpression: 'attribute_exists(pk)' } },
              {
                Update: {
                  TableName: this.tableName,
                  Key: hostKey(wanted.hostId),
                  UpdateExpression: 'SET #capacity.#type.allocatedGiB = #capacity.#type.allocatedGiB - :gib, #capacity.#type.allocatedIops = #capacity.#type.allocatedIops - :iops ADD version :one',
                  ExpressionAttributeNames: { '#capacity': 'capacity', '#type': reservation.type },
                  ExpressionAttributeValues: { ':gib': reservation.sizeGiB, ':iops': reservation.iops, ':one': 1 },
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
