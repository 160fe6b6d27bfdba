import { ForbiddenError, InvalidRequestError } from '../../errors';
import { alarmsToRaise } from '../alarms';
import type { Assertion } from '../assertion';
import { evaluate } from '../evaluation';
import type { AlarmPublisher, AlarmStore, AssertionStore, RaisedAlarm, SpecStore, WaiverStore } from '../ports';
import type { ComponentType } from '../spec';

/** The component types a storage host asserts, and the ids it may use: its own id, and `<hostId>/<copy>` for its copies. */
export const HOST_COMPONENT_TYPES: readonly ComponentType[] = ['storage-host', 'volume-copy'];

export function requireOwnComponents(hostId: string, assertions: readonly Assertion[]): void {
  for (const assertion of assertions) {
    if (!HOST_COMPONENT_TYPES.includes(assertion.componentType)) {
      throw new ForbiddenError(`a storage host asserts only ${HOST_COMPONENT_TYPES.join(', ')}; received ${assertion.componentType}`);
    }
    const own = assertion.componentType === 'storage-host' ? assertion.componentId === hostId : assertion.componentId.startsWith(`${hostId}/`);
    if (!own) throw new ForbiddenError(`host ${hostId} may assert only for itself and its copies (${hostId}/…); received ${assertion.componentId}`);
  }
}

export interface RecordAssertionsDeps {
  readonly specs: SpecStore;
  readonly assertions: AssertionStore;
  readonly waivers: WaiverStore;
  readonly alarms: AlarmStore;
  readonly publisher: AlarmPublisher;
  readonly now: () => Date;
}

/**
 * Stores a batch (history and latest) and raises the single-failure alarms it calls for at once;
 * threshold and SILENT alarms come from the scheduled evaluation, which sees the whole fleet.
 */
export async function recordAssertions(deps: RecordAssertionsDeps, received: readonly Assertion[]): Promise<{ recorded: number; alarms: RaisedAlarm[] }> {
  // One spelling of time (UTC, milliseconds), so the stored history sorts by it.
  const batch = received.map((assertion) => ({ ...assertion, at: new Date(assertion.at).toISOString() }));
  const current = await deps.specs.current();
  if (!current) throw new InvalidRequestError('no spec version is published yet; nothing can be asserted');
  const tooNew = batch.find((assertion) => assertion.specVersion > current.version);
  if (tooNew) throw new InvalidRequestError(`assertion names spec version ${tooNew.specVersion}; the newest is ${current.version}`, { specVersion: tooNew.specVersion });
  const skewMs = 5 * 60_000;
  const future = batch.find((assertion) => Date.parse(assertion.at) > deps.now().getTime() + skewMs);
  if (future) throw new InvalidRequestError(`assertion time ${future.at} is more than 5 minutes in the future`, { at: future.at });
  await deps.assertions.record(batch);
  const config = await deps.alarms.config();
  const now = deps.now();
  const statuses = evaluate({ spec: current, latest: batch, waivers: await deps.waivers.list(), asOf: now });
  const wanted = alarmsToRaise(statuses, { ...config, threshold: null }, await deps.alarms.recentKeys(now));
  const raised = wanted.length > 0 ? await deps.alarms.claim(wanted, now, config.repeatAfterMinutes) : [];
  if (raised.length > 0) await deps.publisher.publish(raised);
  return { recorded: batch.length, alarms: raised };
}
