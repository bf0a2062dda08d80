import { hideBin } from 'yargs/helpers';
import { EXIT_CODES } from '../model/report.js';
import { KubeconfigError, UnknownContextError } from '../kube/kubeconfig.js';
import { ApiError } from '../kube/errors.js';
import { buildParser, toCliOptions, usageLine, UsageError } from './args.js';
import { run } from './run.js';
import { IncompleteError } from './session.js';
import { complete, COMPLETION_SCRIPT } from './completion.js';
import { escapeControl } from '../render/escape.js';
import { SnapshotFileError } from '../snapshot/file.js';

/** Every stderr line: arguments, server messages and paths can carry escape sequences. */
function stderrLine(line: string): void {
  process.stderr.write(escapeControl(line) + '\n');
}

declare const __NS_DOCTOR_VERSION__: string;
const VERSION = typeof __NS_DOCTOR_VERSION__ === 'undefined' ? '0.0.0-dev' : __NS_DOCTOR_VERSION__;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__complete') {
    process.stdout.write(await complete(argv.slice(1), VERSION));
    return EXIT_CODES.ok;
  }
  let usageFailure: string | undefined;
  const parser = buildParser(argv, VERSION)
    .exitProcess(false)
    .fail((message, error) => {
      usageFailure = message ?? error?.message ?? 'invalid arguments';
    });
  let parsed: Record<string, unknown>;
  try {
    parsed = (await parser.parseAsync());
  } catch (error) {
    usageFailure ??= (error as Error).message;
    parsed = {};
  }
  if (usageFailure) {
    stderrLine(`error: ${usageLine(usageFailure)}`);
    stderrLine(`See 'kubectl ns-doctor --help'.`);
    return EXIT_CODES.usage;
  }
  if (parsed.help || parsed.version) return EXIT_CODES.ok;
  if ((parsed._ as string[] | undefined)?.[0] === 'completion') {
    process.stdout.write(COMPLETION_SCRIPT);
    return EXIT_CODES.ok;
  }

  try {
    const options = toCliOptions(parsed);
    const result = await run(options, VERSION, stderrLine, process.stderr);
    process.stdout.write(result.stdout);
    for (const line of result.stderr) stderrLine(line);
    return result.exitCode;
  } catch (error) {
    if (error instanceof UsageError || error instanceof SnapshotFileError || error instanceof UnknownContextError) {
      stderrLine(`error: ${error.message}`);
      return EXIT_CODES.usage;
    }
    if (error instanceof KubeconfigError || error instanceof ApiError || error instanceof IncompleteError) {
      stderrLine(`error: ${error instanceof ApiError ? error.reason : error.message}`);
      return EXIT_CODES.incomplete;
    }
    stderrLine(`error: unexpected failure: ${(error as Error)?.message ?? error}`);
    if (process.env.NS_DOCTOR_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
    return EXIT_CODES.incomplete;
  }
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    stderrLine(`error: ${(error as Error)?.message ?? error}`);
    process.exitCode = EXIT_CODES.incomplete;
  },
);
