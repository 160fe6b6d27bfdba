/**
 * A command's result on stdout: JSON (the default, for scripts), or with `--output table` a
 * table: a page's list (volumes, modifications, …) one row per item, or any other result's own
 * fields one row each. Nested values in a table cell are JSON.
 */
export function print(value: unknown, format: 'json' | 'table'): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${table(value)}\n`);
}

const cell = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

function rowsOf(value: unknown): { columns: string[]; rows: string[][] } {
  if (Array.isArray(value)) {
    const items: Record<string, unknown>[] = value.map((item) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : { value: item }));
    const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
    return { columns, rows: items.map((item) => columns.map((column) => cell(item[column]))) };
  }
  if (typeof value === 'object' && value !== null) {
    // A page ({volumes: [...], nextToken?}) is its list; any other object is its own fields.
    const keys = Object.keys(value).filter((key) => key !== 'nextToken');
    const only = keys.length === 1 ? (value as Record<string, unknown>)[keys[0]!] : undefined;
    if (Array.isArray(only)) return rowsOf(only);
    return { columns: ['field', 'value'], rows: Object.entries(value).map(([key, field]) => [key, cell(field)]) };
  }
  return { columns: ['value'], rows: [[cell(value)]] };
}

/** Plain aligned columns, header underlined; empty lists say so. */
export function table(value: unknown): string {
  const { columns, rows } = rowsOf(value);
  if (rows.length === 0) return '(none)';
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => text.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
