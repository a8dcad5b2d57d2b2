import { Command, CommanderError, Help } from 'commander';
import { EXIT, CliFailure } from './exit';
import { escapeControls } from '../../../shared/text/escape-controls';
import { FLEETMIND_VERSION } from '../version';

/** Adds one top-level command (and its subcommands) to the program. */
type Register = (program: Command) => void;

interface CommandEntry {
  name: string;
  /** Its line in the top-level help, as commander prints it once the command is loaded. */
  term: string;
  description: string;
  load: () => Promise<Register>;
}

/**
 * The top-level commands, in help order. Each lives in its own file, loaded only when it
 * runs (or shows its own help): `--help` and a simple command do not load the policy,
 * SQLite, the HTTP server or the model clients. A test keeps terms and descriptions equal
 * to what the loaded commands print.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', term: 'serve [options]', description: 'Run the headless server: HTTP API on /api and the web UI (loopback only by default)', load: async () => (await import('./serve-command')).registerServeCommand },
  { name: 'chat', term: 'chat [options] <message...>', description: 'Ask Fleetmind one question; the answer streams to stdout, tool activity to stderr', load: async () => (await import('./chat-command')).registerChatCommand },
  { name: 'exec', term: 'exec [options] <command...>', description: 'Run one command on the selected hosts, through the safety policy', load: async () => (await import('./exec-command')).registerExecCommand },
  { name: 'hosts', term: 'hosts', description: 'The fleet inventory: list, add, remove, import hosts; confirm host keys', load: async () => (await import('./hosts-command')).registerHostsCommand },
  { name: 'metrics', term: 'metrics [options] <host> [metric]', description: 'Collected metrics of a host: a sparkline of one series over a window, or the list of its series', load: async () => (await import('./metrics-command')).registerMetricsCommand },
  { name: 'usage', term: 'usage [options]', description: 'Model usage: calls, tokens and cost per day, model or conversation, and the budget state', load: async () => (await import('./usage-command')).registerUsageCommand },
  { name: 'providers', term: 'providers', description: 'Model providers: OpenAI or any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp)', load: async () => (await import('./providers-command')).registerProvidersCommand },
  { name: 'mcp-servers', term: 'mcp-servers', description: 'MCP servers whose tools the agent may call: list, add, remove, test, import; confirm, trust, allow/deny', load: async () => (await import('./mcp-servers-command')).registerMcpServersCommand },
  { name: 'approvals', term: 'approvals', description: 'Commands waiting for the operator: list, show, approve, deny; remembered rules: rules, revoke', load: async () => (await import('./approvals-command')).registerApprovalsCommand },
  { name: 'alerts', term: 'alerts', description: 'Alerts from Alertmanager, thresholds, anomalies and forecasts, with their interpretation: list', load: async () => (await import('./alerts-command')).registerAlertsCommand },
  { name: 'anomaly', term: 'anomaly', description: 'Streaming anomaly detection: score a series (timestamp,value CSV) causally, as the monitor does', load: async () => (await import('./anomaly-command')).registerAnomalyCommand },
  { name: 'forecast', term: 'forecast [options] [extra...]', description: 'Predict when a series (timestamp,value CSV) reaches a limit: JSON {crossesAt, low, high}, an 80 % interval', load: async () => (await import('./forecast-command')).registerForecastCommand },
  { name: 'policy', term: 'policy', description: 'The command-safety policy: judge commands, validate policy files', load: async () => (await import('./policy-command')).registerPolicyCommand },
  { name: 'audit', term: 'audit', description: 'The tamper-evident audit log: list, verify, head, export', load: async () => (await import('./audit-command')).registerAuditCommand },
  { name: 'privacy', term: 'privacy', description: 'What was sent to model providers: per conversation and provider, bytes, redactions by type, pseudonyms, hosts', load: async () => (await import('./privacy-command')).registerPrivacyCommand },
  {
    name: 'forget',
    term: 'forget [options]',
    description: 'Delete a conversation or everything about a host (audit payloads become tombstones; the chain still verifies), or what retention says has expired',
    load: async () => (await import('./privacy-command')).registerForgetCommand,
  },
  { name: 'export', term: 'export [options]', description: 'Export a conversation as JSON to stdout: messages, tool calls, approvals, usage, privacy report rows and its audit entries', load: async () => (await import('./privacy-command')).registerExportCommand },
  { name: 'token', term: 'token', description: 'API credentials: the operator token and scoped tokens for Alertmanager, Prometheus and MCP clients', load: async () => (await import('./token-command')).registerTokenCommand },
  { name: 'ui-link', term: 'ui-link [options]', description: 'Print a single-use sign-in link for the web UI (valid 10 minutes)', load: async () => (await import('./ui-link-command')).registerUiLinkCommand },
  { name: 'mcp', term: 'mcp', description: 'Serve Fleetmind\'s tools to an MCP client over stdio (read tools, metrics, audit search, run_command through the safety policy)', load: async () => (await import('./mcp-command')).registerMcpCommand },
  {
    name: 'redact',
    term: 'redact [options] [extra...]',
    description: 'Replace secrets in text with typed placeholders ([REDACTED:type#n]). With --jsonl, reads {"text"} lines on stdin and writes {"text","findings"} lines',
    load: async () => (await import('./redact-command')).registerRedactCommand,
  },
];

/** The command argv names (`fleetmind [--opts] NAME ...`, or `fleetmind help NAME`), if any. */
export function selectedCommand(args: readonly string[]): string | null {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' && words.length > 1 ? words[1] : words[0];
  return name !== undefined && COMMANDS.some((c) => c.name === name) ? name : null;
}

/**
 * `fleetmind` entry point. Exit codes (DESIGN): 0 success, 2 bad usage, 1 failure.
 * Loads the command argv names (or, with `all`, every command); the others are stubs
 * that only show in the top-level help.
 */
export async function buildProgram(argv: readonly string[] = process.argv, options: { all?: boolean } = {}): Promise<Command> {
  const stubTerms = new WeakMap<Command, string>();
  const program = new Command('fleetmind')
    .description('AI-assisted console for a fleet of Linux servers (headless core, HTTP API and CLI)')
    .version(FLEETMIND_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ subcommandTerm: (cmd) => stubTerms.get(cmd) ?? Help.prototype.subcommandTerm.call(new Help(), cmd) })
    .exitOverride();
  const wanted = options.all ? null : selectedCommand(argv.slice(2));
  for (const entry of COMMANDS) {
    if (options.all || entry.name === wanted) (await entry.load())(program);
    else stubTerms.set(program.command(entry.name).description(entry.description), entry.term);
  }
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
  try {
    const program = await buildProgram(argv);
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
