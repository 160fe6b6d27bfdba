/**
 * Finds, in one pass over a log, the lines that contain each of many literals (case-insensitive
 * ASCII): an Aho–Corasick automaton compiled to a dense transition table. Rules' regexes then
 * run only on those lines, so 1,000 rules cost one scan of the log, not 1,000.
 */
export class LogIndex {
  private readonly lineStarts: number[];
  private readonly linesByLiteral = new Map<string, number[]>();

  constructor(
    readonly text: string,
    literals: Iterable<string>,
  ) {
    this.lineStarts = [0];
    const unique = [...new Set(literals)].filter((literal) => literal.length > 0);
    for (const literal of unique) this.linesByLiteral.set(literal, []);
    if (unique.length === 0) {
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
      return;
    }
    scan(text, unique, this.lineStarts, this.linesByLiteral);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  line(index: number): string {
    const start = this.lineStarts[index];
    const next = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1] - 1 : this.text.length;
    return this.text.slice(start, next);
  }

  /** Lines that contain `literal` (one of those given to the constructor), in order. */
  linesWith(literal: string): readonly number[] {
    const lines = this.linesByLiteral.get(literal);
    if (!lines) throw new Error(`literal ${JSON.stringify(literal)} was not indexed`);
    return lines;
  }
}

const ALPHABET = 128;

function scan(text: string, literals: readonly string[], lineStarts: number[], linesByLiteral: Map<string, number[]>): void {
  // Trie.
  const goto: number[][] = [new Array<number>(ALPHABET).fill(-1)];
  const outputs: number[][] = [[]];
  literals.forEach((literal, id) => {
    let state = 0;
    for (let i = 0; i < literal.length; i += 1) {
      const code = column(literal.charCodeAt(i));
      if (goto[state][code] === -1) {
        goto[state][code] = goto.length;
        goto.push(new Array<number>(ALPHABET).fill(-1));
        outputs.push([]);
      }
      state = goto[state][code];
    }
    outputs[state].push(id);
  });
  // Failure links, breadth first, folded into a complete transition table.
  const fail = new Array<number>(goto.length).fill(0);
  const queue: number[] = [];
  for (let c = 0; c < ALPHABET; c += 1) {
    const next = goto[0][c];
    if (next === -1) goto[0][c] = 0;
    else queue.push(next);
  }
  for (let head = 0; head < queue.length; head += 1) {
    const state = queue[head];
    outputs[state].push(...outputs[fail[state]]);
    for (let c = 0; c < ALPHABET; c += 1) {
      const next = goto[state][c];
      if (next === -1) goto[state][c] = goto[fail[state]][c];
      else {
        fail[next] = goto[fail[state]][c];
        queue.push(next);
      }
    }
  }
  const table = new Int32Array(goto.length * ALPHABET);
  goto.forEach((row, state) => table.set(row, state * ALPHABET));
  const hasOutput = new Uint8Array(goto.length);
  outputs.forEach((ids, state) => (hasOutput[state] = ids.length > 0 ? 1 : 0));
  const lastLine = new Int32Array(literals.length).fill(-1);
  const lists = literals.map((literal) => linesByLiteral.get(literal)!);

  let state = 0;
  let line = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      line += 1;
      lineStarts.push(i + 1);
      state = 0;
      continue;
    }
    state = table[state * ALPHABET + COLUMNS[code]];
    if (hasOutput[state] === 1) {
      for (const id of outputs[state]) {
        if (lastLine[id] !== line) {
          lastLine[id] = line;
          lists[id].push(line);
        }
      }
    }
  }
}

/** ASCII letters fold to lower case; every non-ASCII character shares column 0, which no literal uses. */
function column(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  return code < ALPHABET && code !== 0 ? code : 0;
}

/** `column` for every UTF-16 code unit, looked up in the scan's inner loop. */
const COLUMNS = Uint8Array.from({ length: 65_536 }, (_, code) => column(code));
