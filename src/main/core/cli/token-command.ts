import type { Command } from 'commander';
import { TokenScopeSchema, type ApiTokenInfo } from '../../../shared/protocol';
import { Core } from '../compose';
import { cliName, Config } from '../config';
import { Credentials, OperatorToken } from '../server';
import { CliFailure, UsageError } from './exit';

/**
 * `fleetmind token …`: the HTTP API's credentials (DESIGN: API security). Works on the data
 * dir and store directly, so it acts on a running server at once (the server re-reads the
 * token file and looks tokens and sessions up in the store on every request).
 *
 * Secrets are printed only when asked for: `show` prints the operator token, `create`
 * prints the new token once. `rotate`, `list` and `revoke` print none.
 */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('API credentials: the operator token and scoped tokens for Alertmanager, Prometheus and MCP clients');

  const withCredentials = async <T>(run: (credentials: Credentials, core: Core) => T | Promise<T>): Promise<T> => {
    const core = new Core();
    try {
      return await run(new Credentials(core.store.credentials, core.config.paths.dataDir), core);
    } finally {
      await core.close();
    }
  };

  token
    .command('show')
    .description('Print the operator token (it can do everything; keep it out of logs and shell history)')
    .action(() => {
      const operator = new OperatorToken(new Config().paths.dataDir);
      operator.ensure();
      process.stdout.write(`${operator.read()}\n`);
    });

  token
    .command('rotate')
    .description('Replace the operator token; ends every UI session and unused sign-in link (scoped tokens stay)')
    .action(() =>
      withCredentials((credentials, core) => {
        const ended = credentials.rotateOperatorToken();
        core.audit.record({ kind: 'settings', actor: 'cli', subject: 'token.rotate', data: { sessionsEnded: ended.sessions, linksVoided: ended.links } });
        process.stderr.write(
          `rotated the operator token in ${credentials.operator.path}; ended ${ended.sessions} UI session(s). ` +
            `A running server accepts only the new token from now on (\`${cliName()} token show\` prints it; \`${cliName()} ui-link\` signs the UI in again).\n`,
        );
      }),
    );

  token
    .command('create')
    .description('Make a scoped token (printed once; only its hash is stored)')
    .requiredOption('--scope <scope>', `one of ${TokenScopeSchema.options.join(', ')}`)
    .option('--name <name>', 'what it is for, e.g. "alertmanager"')
    .option('--json', 'print {id, name, scope, createdAt, token} as JSON')
    .action((flags: { scope: string; name?: string; json?: boolean }) => {
      const scope = TokenScopeSchema.safeParse(flags.scope);
      if (!scope.success) throw new UsageError(`--scope must be one of ${TokenScopeSchema.options.join(', ')}, got "${flags.scope}"`);
      if (flags.name !== undefined && (flags.name.trim() === '' || flags.name.length > 100)) throw new UsageError('--name takes 1 to 100 characters');
      return withCredentials((credentials, core) => {
        const created = credentials.createToken(scope.data, flags.name);
        core.audit.record({ kind: 'settings', actor: 'cli', subject: 'token.create', data: { id: created.id, name: created.name, scope: created.scope } });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(created)}\n`);
        } else {
          process.stdout.write(`${created.token}\n`);
          process.stderr.write(`created token ${created.id} "${created.name}" (scope ${created.scope}). It is shown only now; store it where its client reads it.\n`);
        }
      });
    });

  token
    .command('list')
    .description('Scoped tokens (never their secrets)')
    .option('--json', 'one JSON object per line')
    .action((flags: { json?: boolean }) =>
      withCredentials((credentials) => {
        const tokens = credentials.listTokens();
        if (flags.json) {
          for (const t of tokens) process.stdout.write(`${JSON.stringify(t)}\n`);
          return;
        }
        if (tokens.length === 0) {
          process.stdout.write(`no scoped tokens (the operator token is in the data dir: \`${cliName()} token show\`)\n`);
          return;
        }
        const state = (t: ApiTokenInfo) => (t.revokedAt ? `revoked ${t.revokedAt}` : t.lastUsedAt ? `last used ${t.lastUsedAt}` : 'never used');
        for (const t of tokens) process.stdout.write(`${t.id}  ${t.scope.padEnd(12)}  ${t.name}  (created ${t.createdAt}; ${state(t)})\n`);
      }),
    );

  token
    .command('revoke <id>')
    .description('Revoke a scoped token at once')
    .action((id: string) =>
      withCredentials((credentials, core) => {
        if (!credentials.revokeToken(id)) throw new CliFailure(`no live scoped token with id ${id} (see \`${cliName()} token list\`)`);
        core.audit.record({ kind: 'settings', actor: 'cli', subject: 'token.revoke', data: { id } });
        process.stderr.write(`revoked token ${id}\n`);
      }),
    );
}
