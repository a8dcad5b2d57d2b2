import { Command, CommanderError } from 'commander';
import { registerServeCommand } from './serve-command';
import { registerChatCommand } from './chat-command';
import { registerExecCommand } from './exec-command';
import { registerHostsCommand } from './hosts-command';
import { registerUsageCommand } from './usage-command';
import { registerProvidersCommand } from './providers-command';
import { registerApprovalsCommand } from './approvals-command';
import { registerPolicyCommand } from './policy-command';
import { registerAuditCommand } from './audit-command';
import { registerTokenCommand } from './token-command';
import { registerUiLinkCommand } from './ui-link-command';
import { EXIT, CliFailure } from './exit';
import { escapeControls } from '../../../shared/text/escape-controls';
import { FLEETMIND_VERSION } from '../version';

/**
 * `fleetmind` entry point. Exit codes (DESIGN): 0 success, 2 bad usage, 1 failure.
 * Each command lives in its own file and registers itself here.
 */
export function buildProgram(): Command {
  const program = new Command('fleetmind')
    .description('AI-assisted console for a fleet of Linux servers (headless core, HTTP API and CLI)')
    .version(FLEETMIND_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServeCommand(program);
  registerChatCommand(program);
  registerExecCommand(program);
  registerHostsCommand(program);
  registerUsageCommand(program);
  registerProvidersCommand(program);
  registerApprovalsCommand(program);
  registerPolicyCommand(program);
  registerAuditCommand(program);
  registerTokenCommand(program);
  registerUiLinkCommand(program);
  // Nested commands (providers add, approvals deny…) must report bad usage the same way.
  const configure = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      configure(sub);
    }
  };
  configure(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    // Messages can quote a host, a command or a file: control characters are shown as escapes.
    if (err instanceof CliFailure) {
      process.stderr.write(`fleetmind: ${escapeControls(err.message, { multiline: true })}\n`);
      return err.exitCode;
    }
    process.stderr.write(`fleetmind: ${escapeControls((err as Error).message ?? String(err), { multiline: true })}\n`);
    return EXIT.failure;
  }
}

// Run when executed directly (bin/fleetmind imports this bundle).
if (process.env.FLEETMIND_CLI_NO_AUTORUN !== '1') {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fleetmind: ${String(err)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
