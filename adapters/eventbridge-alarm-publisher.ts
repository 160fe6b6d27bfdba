import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AlarmPublisher, RaisedAlarm } from '../core/audit/ports';

export const AUDIT_EVENT_SOURCE = 'blockplane.audit';
export const AUDIT_ALARM_DETAIL_TYPE = 'Audit Alarm';

/** One `Audit Alarm` event per alarm on the default bus; a rule forwards them to the operators' notice topic. */
export class EventBridgeAlarmPublisher implements AlarmPublisher {
  constructor(private readonly events: EventBridgeClient = new EventBridgeClient({})) {}

  async publish(alarms: readonly RaisedAlarm[]): Promise<void> {
    for (let start = 0; start < alarms.length; start += 10) {
      const entries = alarms.slice(start, start + 10).map((alarm) => ({ Source: AUDIT_EVENT_SOURCE, DetailType: AUDIT_ALARM_DETAIL_TYPE, Detail: JSON.stringify(alarm) }));
      const { FailedEntryCount } = await this.events.send(new PutEventsCommand({ Entries: entries }));
      if (FailedEntryCount) throw new Error(`EventBridge refused ${FailedEntryCount} of ${entries.length} audit alarm events`);
    }
  }
}
