import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MCP_TRUST_NOTICE, type McpServerStatusView } from '../../../shared/protocol';
import { escapeControls } from '../../../shared/text/escape-controls';
import type { Core } from '../compose';
import { cliName } from '../config';
import { McpConfigError, McpServerEntrySchema, type McpServerEntry } from '../mcp';
import { CliFailure, UsageError } from './exit';

/**
 * `fleetmind mcp-servers`: the MCP servers whose tools the agent may call. Changes are written
 * where the operator's own settings live, config.yaml (0600) and the data dir's store, by the
 * operator's own process: nothing travels over a socket. Trust and the allow/deny lists take
 * effect at the next call in a running server too (it reads them per call); a running server
 * notices servers added, confirmed or removed here within seconds (it watches both).
 */

const line = (text: string) => escapeControls(text);
const collect = (value: string, previous: string[]) => [...previous, value];
const RESTART = 'a running server applies this within a few seconds';

async function withCore<T>(fn: (core: Core) => Promise<T> | T): Promise<T> {
  const { Core } = await import('../compose');
  const core = new Core();
  try {
    return await fn(core);
  } catch (err) {
    if (err instanceof McpConfigError) throw err.code === 'bad_request' || err.code === 'not_found' ? new UsageError(err.message) : new CliFailure(err.message);
    throw err;
  } finally {
    await core.close();
  }
}

function pairs(values: string[], what: string): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`${what} must be NAME=VALUE (secrets as \${keychain:ACCOUNT}), got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

function show(s: McpServerStatusView): string {
  const flags = [s.state, s.trusted ? 'trusted' : 'untrusted', s.transport, `${s.tools.length} tools`];
  if (s.changedTools.length) flags.push(`${s.changedTools.length} changed tools waiting for accept-tools`);
  const lines = [`${line(s.name)}  ${flags.join(', ')}`, `  runs: ${line(s.launch)}`];
  if (s.error) lines.push(`  ${line(s.error)}`);
  if (s.allow.length) lines.push(`  allow: ${s.allow.map(line).join(', ')}`);
  if (s.deny.length) lines.push(`  deny: ${s.deny.map(line).join(', ')}`);
  return lines.join('\n');
}

export function registerMcpServersCommand(program: Command): void {
  const mcp = program.command('mcp-servers').description('MCP servers whose tools the agent may call: list, add, remove, test, import; confirm, trust, allow/deny');

  mcp
    .command('list')
    .description('Configured MCP servers: what each runs, its state, trust and lists')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) =>
      withCore((core) => {
        core.mcp.inspect();
        const servers = core.mcp.status();
        if (flags.json) return void process.stdout.write(`${JSON.stringify({ servers, trustNotice: MCP_TRUST_NOTICE })}\n`);
        if (servers.length === 0) process.stdout.write(`no MCP servers; add one with \`${cliName()} mcp-servers add NAME -- COMMAND [ARGS...]\`\n`);
        for (const s of servers) process.stdout.write(`${show(s)}\n`);
        process.stderr.write(`${MCP_TRUST_NOTICE}\n`);
      }),
    );

  mcp
    .command('add')
    .description('Add a server: a command (stdio) after --, or --url (Streamable HTTP; --sse for the legacy transport). It runs as you.')
    .argument('<name>', 'its name: tools reach the model as NAME__TOOL')
    .argument('[command...]', 'the command and its arguments (after --)')
    .option('--url <url>', 'a Streamable HTTP endpoint')
    .option('--sse', 'the url is a legacy SSE endpoint')
    .option('--env <NAME=VALUE>', 'environment for the server (repeatable); secrets as ${keychain:ACCOUNT}', collect, [])
    .option('--header <NAME=VALUE>', 'HTTP header (repeatable); secrets as ${keychain:ACCOUNT}', collect, [])
    .option('--cwd <dir>', 'working directory of the command')
    .action((name: string, command: string[], flags: { url?: string; sse?: boolean; env: string[]; header: string[]; cwd?: string }) => {
      let raw: Record<string, unknown>;
      if (flags.url && command.length) throw new UsageError('give either a command (after --) or --url, not both');
      if (flags.url) raw = { ...(flags.sse ? { type: 'sse' } : {}), url: flags.url, headers: pairs(flags.header, '--header') };
      else if (command.length) raw = { command: command[0], args: command.slice(1), env: pairs(flags.env, '--env'), cwd: flags.cwd };
      else throw new UsageError(`give the command after --, e.g. \`${cliName()} mcp-servers add files -- npx -y @modelcontextprotocol/server-filesystem /srv\`, or --url`);
      const parsed = McpServerEntrySchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; '));
      return withCore(async (core) => {
        await core.mcp.add(name, parsed.data as McpServerEntry, 'cli');
        process.stderr.write(`MCP server ${name} added and confirmed; it runs as you. ${RESTART}\n`);
      });
    });

  mcp
    .command('remove')
    .description('Remove a server from config.yaml and forget its trust and pinned tools')
    .argument('<name>')
    .action((name: string) =>
      withCore(async (core) => {
        await core.mcp.remove(name, 'cli');
        process.stderr.write(`MCP server ${name} removed; ${RESTART}\n`);
      }),
    );

  mcp
    .command('test')
    .description('Start a server once, list its tools, resources and prompts, and stop it')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action((name: string, flags: { json?: boolean }) =>
      withCore(async (core) => {
        core.mcp.inspect();
        const result = await core.mcp.test(name);
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (result.ok) process.stdout.write(`${name}: ok (${line(result.serverInfo?.name ?? '?')} ${line(result.serverInfo?.version ?? '')}), ${result.tools.length} tools, ${result.resources} resources, ${result.prompts} prompts, ${result.latencyMs} ms\n${result.tools.map((t) => `  ${line(t)}`).join('\n')}\n`);
        if (!result.ok) throw new CliFailure(`${name}: ${line(result.error ?? 'failed')}`);
      }),
    );

  mcp
    .command('import')
    .description("Import servers from Claude Desktop's or Cursor's mcpServers, VS Code's servers, or Gemini CLI's settings; each stays off until you confirm it")
    .argument('<file>')
    .option('--json', 'print JSON')
    .action((file: string, flags: { json?: boolean }) => {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`cannot read ${file} as JSON: ${(err as Error).message}`);
      }
      return withCore(async (core) => {
        let result;
        try {
          result = await core.mcp.importConfig(json, 'cli');
        } catch (err) {
          if (err instanceof McpConfigError) throw err;
          throw new UsageError((err as Error).message);
        }
        if (flags.json) return void process.stdout.write(`${JSON.stringify({ format: result.format, imported: result.imported, skipped: result.skipped })}\n`);
        process.stdout.write(`read a ${result.format} configuration\n`);
        const status = core.mcp.status();
        for (const name of result.imported) {
          const s = status.find((x) => x.name === name);
          process.stdout.write(`imported ${line(name)} (off until confirmed): ${line(s?.launch ?? '')}\n`);
        }
        for (const s of result.skipped) process.stdout.write(`skipped ${line(s.name)}: ${line(s.reason)}\n`);
        if (result.imported.length) process.stderr.write(`Read each command, then turn it on with \`${cliName()} mcp-servers confirm NAME\`. ${MCP_TRUST_NOTICE}\n`);
      });
    });

  mcp
    .command('confirm')
    .description('Show what a server runs; with --spec (the digest shown) confirm it and turn it on')
    .argument('<name>')
    .option('--spec <sha256>', 'the digest printed by `confirm NAME`: confirms exactly what you were shown')
    .action((name: string, flags: { spec?: string }) =>
      withCore(async (core) => {
        core.mcp.inspect();
        const s = core.mcp.status().find((x) => x.name === name);
        if (!s || s.state === 'invalid') throw new UsageError(`no valid MCP server "${name}"`);
        if (!flags.spec) {
          process.stdout.write(`${line(name)} runs: ${line(s.launch)}\nspec: ${s.specSha256}\n`);
          process.stderr.write(`${MCP_TRUST_NOTICE}\nTo turn it on: ${cliName()} mcp-servers confirm ${name} --spec ${s.specSha256}\n`);
          return;
        }
        await core.mcp.confirm(name, 'cli', flags.spec);
        process.stderr.write(`MCP server ${name} confirmed and on; ${RESTART}\n`);
      }),
    );

  for (const [command, trusted, description] of [
    ['trust', true, "Mark a server trusted: its read-only tools (readOnlyHint) run without asking"],
    ['untrust', false, 'Stop trusting a server: every call of its tools asks'],
  ] as const) {
    mcp
      .command(command)
      .description(description)
      .argument('<name>')
      .action((name: string) =>
        withCore((core) => {
          core.mcp.inspect();
          core.mcp.setTrust(name, trusted, 'cli');
          process.stderr.write(`MCP server ${name} is ${trusted ? 'trusted' : 'not trusted'} (applies at the next call)\n`);
        }),
      );
  }

  for (const [command, list] of [
    ['allow', 'allow'],
    ['deny', 'deny'],
  ] as const) {
    mcp
      .command(command)
      .description(list === 'allow' ? "Set the tools of a server that run without asking (no tools: clear the list)" : 'Set the tools of a server that never run (no tools: clear the list)')
      .argument('<name>')
      .argument('[tools...]', 'tool names as the server calls them')
      .action((name: string, tools: string[]) =>
        withCore((core) => {
          core.mcp.inspect();
          core.mcp.setLists(name, { [list]: tools }, 'cli');
          process.stderr.write(`${list} list of ${name}: ${tools.length ? tools.join(', ') : '(empty)'}\n`);
        }),
      );
  }

  mcp
    .command('accept-tools')
    .description("Accept a server's current tool definitions after they changed (they are shown first; tool descriptions reach the model)")
    .argument('<name>')
    .option('--yes', 'accept what is shown')
    .option('--digest <sha256>', 'with --yes: the definitions digest printed by an earlier `accept-tools NAME` (accepts only what you read then)')
    .action((name: string, flags: { yes?: boolean; digest?: string }) =>
      withCore(async (core) => {
        await core.mcp.start();
        const s = core.mcp.status().find((x) => x.name === name);
        if (!s) throw new UsageError(`no MCP server "${name}"`);
        if (s.state !== 'connected') throw new CliFailure(`${name} is ${s.state}${s.error ? `: ${line(s.error)}` : ''}`);
        for (const t of s.tools) process.stdout.write(`${t.pinned ? '  ' : '* '}${line(t.tool)}: ${line(t.description.slice(0, 300))}\n`);
        if (!flags.yes) {
          process.stdout.write(`definitions: ${s.definitionsSha256 ?? ''}\n`);
          process.stderr.write(`(* changed or new) To accept these definitions: ${cliName()} mcp-servers accept-tools ${name} --yes --digest ${s.definitionsSha256 ?? ''}\n`);
          return;
        }
        // Accept only what was read: the digest from an earlier listing, else the list printed just
        // above (each run reconnects, and a server may answer a second listing differently).
        core.mcp.acceptDefinitions(name, 'cli', flags.digest ?? s.definitionsSha256 ?? undefined);
        process.stderr.write(`tool definitions of ${name} accepted\n`);
      }),
    );
}
