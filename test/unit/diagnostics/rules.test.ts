import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuleEvaluator } from '../../../core/diagnostics/evaluate-rules';
import { parseReport } from '../../../core/diagnostics/parse-report';
import { checkDepth, MAX_CHECK_DEPTH } from '../../../core/diagnostics/rule';
import { FIXTURES_DIR, RULES_DIR, loadFixture, loadRules, reportOf } from './rule-files';

const rules = loadRules();
const evaluator = new RuleEvaluator(rules);
const known = { 'fleet.agentVersion': '0.1.0' };

function outcomeOf(ruleId: string, fixture: Parameters<typeof reportOf>[0]) {
  return evaluator.evaluate(parseReport(reportOf(fixture), known)).find((evaluation) => evaluation.ruleId === ruleId)!;
}

describe('known-issue rules (rules/known-issues, one fixture pair each in rules/fixtures)', () => {
  it('has at least 30 rules, each file named after its id, each with a fixture pair and a bounded check tree', () => {
    expect(rules.length).toBeGreaterThanOrEqual(30);
    const files = fs.readdirSync(RULES_DIR).filter((name) => name.endsWith('.json'));
    expect(files.map((name) => path.basename(name, '.json')).sort()).toEqual(rules.map((rule) => rule.id).sort());
    const fixtures = fs.readdirSync(FIXTURES_DIR).map((name) => path.basename(name, '.json')).sort();
    expect(fixtures).toEqual(rules.map((rule) => rule.id).sort());
    for (const rule of rules) expect(checkDepth(rule.when)).toBeLessThanOrEqual(MAX_CHECK_DEPTH);
  });

  describe.each(rules.map((rule) => [rule.id]))('%s', (ruleId) => {
    const fixture = loadFixture(ruleId);

    it('matches its triggering fixture, with evidence', () => {
      const outcome = outcomeOf(ruleId, fixture.triggers);
      expect(outcome.outcome).toBe('matched');
      expect(outcome.evidence.length).toBeGreaterThan(0);
    });

    it('stays clear on its other fixture (decided, not insufficient evidence)', () => {
      expect(outcomeOf(ruleId, fixture.clear)).toMatchObject({ outcome: 'clear' });
    });
  });

  it('says "insufficient evidence" (naming the missing input) when a rule\'s source is not in the report', () => {
    const outcome = outcomeOf('disk-full', { files: { 'uname.txt': 'Linux web-1 6.1.0 #1 SMP x86_64 GNU/Linux\n' } });
    expect(outcome).toMatchObject({ outcome: 'insufficient-evidence', missing: ['df.maxUsedPercent'] });
  });
});
