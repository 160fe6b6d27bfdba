import type { Check, Scalar } from './spec';

/** What an asserter saw: the value, and for `equals-committed` the component's committed values. */
export interface Observation {
  readonly observed: unknown;
  readonly committed?: Readonly<Record<string, Scalar>>;
}

export interface CheckOutcome {
  readonly result: 'PASS' | 'FAIL';
  /** The check in words, with the committed value filled in (`= 300`, `in [0600]`). */
  readonly expected: string;
}

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Judges one observed value against a clause's check. */
export function judge(check: Check, observation: Observation): CheckOutcome {
  const { observed } = observation;
  switch (check.kind) {
    case 'equals':
      return outcome(observed === check.value, `equals ${show(check.value)}`);
    case 'equals-committed': {
      const committed = observation.committed?.[check.field];
      if (committed === undefined) return outcome(false, `equals committed ${check.field} (unknown)`);
      return outcome(observed === committed, `equals ${show(committed)} (committed ${check.field})`);
    }
    case 'range': {
      const words = `in [${check.min ?? '-inf'}, ${check.max ?? 'inf'}]`;
      if (typeof observed !== 'number' || Number.isNaN(observed)) return outcome(false, words);
      return outcome((check.min === undefined || observed >= check.min) && (check.max === undefined || observed <= check.max), words);
    }
    case 'set':
      return outcome(check.values.some((value) => value === observed), `one of ${check.values.map(show).join(', ')}`);
    case 'includes': {
      const words = `includes ${check.values.join(', ')}`;
      if (!Array.isArray(observed)) return outcome(false, words);
      return outcome(check.values.every((value) => observed.includes(value)), words);
    }
    case 'regex':
      return outcome(typeof observed === 'string' && new RegExp(check.pattern).test(observed), `matches /${check.pattern}/`);
    case 'present':
      return outcome(observed !== undefined && observed !== null && observed !== '' && !(Array.isArray(observed) && observed.length === 0), 'present');
    default:
      throw new Error(`unknown check kind ${JSON.stringify((check as { kind: unknown }).kind)}`);
  }
}

const outcome = (pass: boolean, expected: string): CheckOutcome => ({ result: pass ? 'PASS' : 'FAIL', expected });
