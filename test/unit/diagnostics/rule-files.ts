import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UnpackedReport } from '../../../core/diagnostics/report-format';
import { RuleSchema, type Rule } from '../../../core/diagnostics/rule';

export const RULES_DIR = path.join(__dirname, '../../../rules/known-issues');
export const FIXTURES_DIR = path.join(__dirname, '../../../rules/fixtures');

export interface FixtureReport {
  readonly source?: 'host' | 'instance' | 'offline';
  readonly collectedAt?: string;
  readonly files: Record<string, string>;
}

export function loadRules(): Rule[] {
  return fs
    .readdirSync(RULES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => RuleSchema.parse(JSON.parse(fs.readFileSync(path.join(RULES_DIR, name), 'utf8'))));
}

export function loadFixture(ruleId: string): { triggers: FixtureReport; clear: FixtureReport } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, `${ruleId}.json`), 'utf8')) as { triggers: FixtureReport; clear: FixtureReport };
}

export function reportOf(fixture: FixtureReport): UnpackedReport {
  return {
    manifest: {
      formatVersion: 1,
      source: fixture.source ?? 'instance',
      hostname: 'web-1',
      collectedAt: fixture.collectedAt ?? '2026-12-01T12:00:00Z',
      collectors: Object.keys(fixture.files).map((file) => ({ name: file, status: 'ok', files: [`files/${file}`] })),
    },
    files: new Map(Object.entries(fixture.files)),
  };
}
