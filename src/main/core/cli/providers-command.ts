import type { Command } from 'commander';
import type { Core } from '../compose';
import { LlmCallError, ProviderSettingsError } from '../llm';
import { escapeControls } from '../../../shared/text/escape-controls';
import { requestViaServer, serverFor } from './cli-client';
import { CliFailure, UsageError } from './exit';
import { cliName, resolvePaths } from '../config';

const VERBOSE = 'say on stderr whether this goes through the running server or works on the data dir here';

/** A core on the data dir, loaded only when no server runs for it. */
async function localCore(): Promise<Core> {
  const { Core } = await import('../compose');
  return new Core();
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError(`--api-key-stdin reads the key from standard input: pipe it in (e.g. \`secret-tool lookup … | ${cliName()} providers add …\`)`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function fail(err: unknown): never {
  if (err instanceof ProviderSettingsError) throw new CliFailure(err.message, err.code === 'bad_request' || err.code === 'not_found' ? 2 : 1);
  throw err;
}

export function registerProvidersCommand(program: Command): void {
  const providers = program.command('providers').description('Model providers: OpenAI or any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp)');

  providers
    .command('list')
    .description('Providers in effect and where their keys come from (keys are never shown)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const core = await localCore();
      try {
        const list = await core.providers.list();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        if (list.length === 0) process.stdout.write(`no providers: the offline engine answers. Add one with \`${cliName()} providers add\`.\n`);
        for (const p of list) {
          process.stdout.write(`${p.name}  ${p.baseURL ?? 'https://api.openai.com/v1'}  ${p.local ? 'local' : 'remote'}  from ${p.origin}  key: ${p.key.source}${p.key.masked ? ` (${p.key.masked})` : ''}\n`);
          if (p.key.warning) process.stderr.write(`  ${p.key.warning}\n`);
        }
      } finally {
        await core.close();
      }
    });

  providers
    .command('add')
    .description('Add a provider; the API key goes to the OS keychain, never to a file')
    .argument('<name>', 'short name, e.g. openai, ollama')
    .option('--base-url <url>', 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (omit for OpenAI)')
    .option('--local', 'runs on this machine or network: free, allowed for sensitive data, not budgeted')
    .option('--api-key-stdin', 'read the API key from standard input (never pass keys as arguments: they show in ps)')
    .option('--verbose', VERBOSE)
    .action(async (name: string, flags: { baseUrl?: string; local?: boolean; apiKeyStdin?: boolean; verbose?: boolean }) => {
      const apiKey = flags.apiKeyStdin ? await readStdin() : null;
      if (flags.apiKeyStdin && !apiKey) throw new UsageError('no API key on standard input');
      const done = () => process.stderr.write(`provider ${name} added${apiKey ? ' (key stored in the OS keychain)' : ''}; restart a running server to use it\n`);
      // A settings change goes through the running server, which records it in its own audit
      // trail; the key travels over the 0700 socket, never on a command line.
      const connection = await serverFor(resolvePaths().dataDir, 'providers add', flags.verbose === true);
      if (connection) {
        await requestViaServer(connection, { type: 'providers.add', name, baseURL: flags.baseUrl, local: flags.local, apiKey }, (m) => m.type === 'reply');
        return void done();
      }
      const core = await localCore();
      try {
        await core.providers.add({ name, baseURL: flags.baseUrl, local: flags.local }, apiKey).catch(fail);
        done();
      } finally {
        await core.close();
      }
    });

  providers
    .command('remove')
    .description('Remove a provider added here, and its key from the keychain')
    .argument('<name>')
    .option('--verbose', VERBOSE)
    .action(async (name: string, flags: { verbose?: boolean }) => {
      const connection = await serverFor(resolvePaths().dataDir, 'providers remove', flags.verbose === true);
      if (connection) await requestViaServer(connection, { type: 'providers.remove', name }, (m) => m.type === 'reply');
      else {
        const core = await localCore();
        try {
          await core.providers.remove(name).catch(fail);
        } finally {
          await core.close();
        }
      }
      process.stderr.write(`provider ${name} removed\n`);
    });

  for (const [command, description] of [
    ['test', 'Check that a provider answers and accepts its key'],
    ['models', 'List the models a provider offers'],
  ] as const) {
    providers
      .command(command)
      .description(description)
      .argument('<name>')
      .action(async (name: string) => {
        const core = await localCore();
        try {
          const result = await core.testProvider(name);
          if (!result.ok) throw new CliFailure(`${name}: ${result.error.message}`);
          if (command === 'test') process.stdout.write(`${name}: ok, ${result.models.length} models (${result.latencyMs} ms)\n`);
          else process.stdout.write(`${result.models.map((m) => escapeControls(m)).join('\n')}\n`);
        } catch (err) {
          if (err instanceof LlmCallError) throw new CliFailure(`${name}: ${err.message}`);
          throw err;
        } finally {
          await core.close();
        }
      });
  }
}
