import type { Command } from 'commander';
import { ChatError } from '../agent';
import { Core } from '../compose';
import { CliFailure, UsageError } from './exit';

interface ChatFlags {
  host?: string;
  conversation?: string;
  json?: boolean;
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('Ask Fleetmind one question; the answer streams to stdout, tool activity to stderr')
    .argument('<message...>', 'the question, e.g. "show server status"')
    .option('--host <selector>', 'host or selector the question is about (default: localhost)')
    .option('--conversation <id>', 'continue an earlier conversation')
    .option('--json', 'print the final response as one JSON object instead of streaming text')
    .action(async (words: string[], flags: ChatFlags) => {
      const message = words.join(' ').trim();
      if (!message) throw new UsageError('the message is empty');
      const core = new Core();
      try {
        const response = await core.chat(
          { message, host: flags.host, conversationId: flags.conversation },
          {
            onEvent: (event) => {
              if (flags.json) return;
              if (event.type === 'token') process.stdout.write(event.text);
              else if (event.type === 'tool_call') process.stderr.write(`… ${event.tool}${event.host ? ` on ${event.host}` : ''}\n`);
              else if (event.type === 'tool_result') process.stderr.write(`${event.call.ok ? '✓' : '✗'} ${event.call.tool} (${Math.round(event.call.durationMs)} ms): ${event.call.summary}\n`);
            },
          },
        );
        if (flags.json) process.stdout.write(`${JSON.stringify(response)}\n`);
        else process.stdout.write(`\n\n(conversation ${response.conversationId}; continue with --conversation ${response.conversationId})\n`);
      } catch (err) {
        if (err instanceof ChatError) throw new CliFailure(`${err.error.code}: ${err.error.message}`, err.error.code === 'unknown_host' || err.error.code === 'not_found' ? 2 : 1);
        throw err;
      } finally {
        await core.close();
      }
    });
}
