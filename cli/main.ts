import { CommanderError } from '@commander-js/extra-typings';
import { FileRootError } from '../agent/diagnostics/file-root';
import { InvalidWindowError } from '../agent/diagnostics/window';
import { EXIT, PreconditionError, UsageError } from './errors';
import { buildProgram } from './program';

/** Runs the CLI (an ApiError, a failed operation or anything unexpected ends with 1) with `argv` (without node and the script); returns the exit status (cli/errors.ts). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of allCommands(program)) command.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0 after commander printed them; anything else is usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message = (error as Error)?.message ?? String(error);
    process.stderr.write(`blockplane: error: ${message}\n`);
    if (error instanceof UsageError || error instanceof InvalidWindowError) return EXIT.usage;
    if (error instanceof PreconditionError || error instanceof FileRootError) return EXIT.precondition;
    return EXIT.failed;
  }
}

function allCommands(command: ReturnType<typeof buildProgram>): ReturnType<typeof buildProgram>[] {
  return command.commands.flatMap((sub) => [sub as ReturnType<typeof buildProgram>, ...allCommands(sub as ReturnType<typeof buildProgram>)]);
}
