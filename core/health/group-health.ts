import { healthFrom, type Health } from './health-level';

/**
 * A group's level from its members (docs/health.md, "Group rules"):
 * - red when every member is red, or more than half of them are;
 * - yellow when at least one member is red or yellow;
 * - green otherwise. The score is the members' mean, capped by the level.
 */
export function groupHealth(groupId: string, members: readonly { readonly componentId: string; readonly health: Health }[]): Health {
  if (members.length === 0) return { level: 'green', score: 100, reasons: [] };
  const red = members.filter((member) => member.health.level === 'red');
  const yellow = members.filter((member) => member.health.level === 'yellow');
  const mean = Math.round(members.reduce((sum, member) => sum + member.health.score, 0) / members.length);
  const reasons = [...red.map((m) => `${m.componentId} is red`), ...yellow.map((m) => `${m.componentId} is yellow`)];
  const allRed = red.length === members.length || red.length * 2 > members.length;
  if (allRed) return { level: 'red', score: Math.min(mean, 39), reasons: [`${red.length} of ${members.length} members of ${groupId} are red`, ...reasons] };
  if (red.length + yellow.length > 0) {
    return { level: 'yellow', score: Math.max(40, Math.min(mean, 79)), reasons: [`${red.length + yellow.length} of ${members.length} members of ${groupId} are not green`, ...reasons] };
  }
  return healthFrom([]);
}
