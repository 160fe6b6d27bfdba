/**
 * The longest literal every match of `source` must contain, lower-cased, or undefined when the
 * pattern has none worth using (alternation at the top level, or runs shorter than 3). Used only
 * as a prefilter: a line without it cannot match, a line with it is still tested by the regex.
 * Groups, classes and escapes end a run; a quantifier that allows zero takes back the last char.
 */
export function requiredLiteral(source: string): string | undefined {
  let depth = 0;
  let run = '';
  let best = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      i += 1;
      if (depth === 0 && /[^A-Za-z0-9]/.test(next) && !isOptional(source[i + 1])) run += next.toLowerCase();
      else end();
      continue;
    }
    if (char === '[') {
      end();
      i = classEnd(source, i);
      continue;
    }
    if (char === '(') {
      depth += 1;
      end();
      continue;
    }
    if (char === ')') {
      depth -= 1;
      end();
      continue;
    }
    if (char === '|') {
      if (depth === 0) return undefined;
      continue;
    }
    if (depth > 0) continue;
    if (char === '?' || char === '*' || char === '{') {
      run = run.slice(0, -1);
      end();
      if (char === '{') i = Math.max(i, source.indexOf('}', i));
      continue;
    }
    if (char === '+' || char === '.' || char === '^' || char === '$') {
      end();
      continue;
    }
    if (isOptional(source[i + 1])) {
      end();
      continue;
    }
    run += char.toLowerCase();
  }
  end();
  return best.length >= 3 ? best : undefined;
}

const isOptional = (next: string | undefined) => next === '?' || next === '*' || next === '{';

function classEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i += 1) {
    if (source[i] === '\\') i += 1;
    else if (source[i] === ']' && i > start + 1) return i;
  }
  return source.length;
}
