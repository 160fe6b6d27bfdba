#!/usr/bin/env -S npx tsx
/**
 * The CLI: `npx tsx bin/blockplane.ts <command>` (docs/cli.md). The commands live in cli/: one
 * generated per customer and operator API route, plus attach/detach, volumes wait, diagnose
 * collect and completion. Results go to stdout (JSON, or a table with --output table); progress
 * and errors go to stderr; exit codes in cli/errors.ts.
 */
import { main } from '../cli/main';

export { main };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
