import type { Command } from 'commander';
import { ChatError } from '../agent';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { Core } from '../compose';
import { CliFailure, UsageError } from './exit';

/** One line of what the model or a host wrote, control characters shown as escapes. */
const line = (text: string) => escapeControls(text);

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
            // The model's words, tool summaries and commands are shown, never obeyed: control characters become escapes.
            onEvent: (event) => {
              if (flags.json) return;
              if (event.type === 'token') process.stdout.write(escapeControls(event.text, { multiline: true }));
              else if (event.type === 'tool_call') process.stderr.write(`… ${line(event.tool)}${event.host ? ` on ${line(event.host)}` : ''}\n`);
              else if (event.type === 'tool_result') process.stderr.write(`${event.call.ok ? '✓' : '✗'} ${line(event.call.tool)} (${Math.round(event.call.durationMs)} ms): ${line(event.call.summary)}\n`);
              else if (event.type === 'approval_required') {
                const a = event.approval;
                process.stderr.write(
                  `⏸ approval ${line(a.id)} needed: ${line(a.command)} on ${a.hosts.map(line).join(', ')} (${line(a.category)})${a.purpose ? `; the agent's stated purpose (not verified): "${line(a.purpose)}"` : ''}\n`,
                );
              }
            },
          },
        );
        if (flags.json) process.stdout.write(`${safeJsonStringify(response)}\n`);
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
