import type { Command } from 'commander';
import { ChatError } from '../agent';
import { Core } from '../compose';
import { CliFailure, UsageError } from './exit';

interface ChatFlags {
  model?: string;
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
    .option('--model <ref>', 'model for this question (provider/model), when a model is configured')
    .option('--json', 'print the final response as one JSON object instead of streaming text')
    .action(async (words: string[], flags: ChatFlags) => {
      const message = words.join(' ').trim();
      if (!message) throw new UsageError('the message is empty');
      const core = new Core();
      // Ctrl-C stops the turn (the model, the tools) and keeps what was said so far.
      const controller = new AbortController();
      const onInterrupt = () => controller.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const response = await core.chat(
          { message, host: flags.host, conversationId: flags.conversation, model: flags.model },
          {
            signal: controller.signal,
            actor: 'cli',
            onEvent: (event) => {
              if (flags.json) return;
              if (event.type === 'token') process.stdout.write(event.text);
              else if (event.type === 'tool_call') process.stderr.write(`… ${event.tool}${event.host ? ` on ${event.host}` : ''}\n`);
              else if (event.type === 'tool_result') process.stderr.write(`${event.call.ok ? '✓' : '✗'} ${event.call.tool} (${Math.round(event.call.durationMs)} ms): ${event.call.summary}\n`);
              else if (event.type === 'approval_required') process.stderr.write(`⏸ approval ${event.approval.id} needed: ${event.approval.command} on ${event.approval.hosts.join(', ')} (${event.approval.category})\n`);
            },
          },
        );
        if (flags.json) process.stdout.write(`${JSON.stringify(response)}\n`);
        else process.stdout.write(`\n\n(conversation ${response.conversationId}; continue with --conversation ${response.conversationId})\n`);
      } catch (err) {
        if (err instanceof ChatError) {
          if (err.error.code === 'cancelled') throw new CliFailure('cancelled', 130);
          throw new CliFailure(`${err.error.code}: ${err.error.message}`, err.error.code === 'unknown_host' || err.error.code === 'not_found' ? 2 : 1);
        }
        throw err;
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        await core.close();
      }
    });
}
