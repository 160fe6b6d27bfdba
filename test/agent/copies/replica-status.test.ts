/**
 * The replica lifecycle accepts only the transitions the mirror events can cause.
 */
import { ReplicaStatus, transitionReplica } from '../../../agent/copies/replica-status';
import { IllegalTransitionError } from '../../../agent/errors';

describe('replica status transitions', () => {
  it.each([
    [ReplicaStatus.Detached, ReplicaStatus.Syncing],
    [ReplicaStatus.Syncing, ReplicaStatus.InSync],
    [ReplicaStatus.Syncing, ReplicaStatus.Stale],
    [ReplicaStatus.InSync, ReplicaStatus.Stale],
    [ReplicaStatus.InSync, ReplicaStatus.Stopping],
    [ReplicaStatus.Stale, ReplicaStatus.Syncing],
    [ReplicaStatus.Stopping, ReplicaStatus.Detached],
  ])('when going from %s to %s, it is allowed', (from, to) => {
    expect(transitionReplica(from, to)).toBe(to);
  });

  it.each([
    [ReplicaStatus.Detached, ReplicaStatus.InSync],
    [ReplicaStatus.Detached, ReplicaStatus.Stale],
    [ReplicaStatus.Stale, ReplicaStatus.InSync],
    [ReplicaStatus.InSync, ReplicaStatus.Syncing],
  ])('when going from %s to %s, it throws IllegalTransitionError', (from, to) => {
    expect(() => transitionReplica(from, to)).toThrow(IllegalTransitionError);
  });
});
