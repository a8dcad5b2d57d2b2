import { z } from 'zod';
import { commandOutput } from './aspects';
import { hostArg } from './host-arg';
import { defineHostTool } from './tool';

export const recentLoginsTool = defineHostTool({
  name: 'recent_logins',
  description: 'Who is logged in now and the most recent logins (wtmp via `last`), with failed logins where readable.',
  kind: 'read',
  input: z.object({ host: hostArg, limit: z.number().int().min(1).max(200).optional().describe('How many logins, default 20') }).strict(),
  async run(args, ctx) {
    const n = String(args.limit ?? 20);
    const g = await ctx.gather({
      commands: { last: ['last', '-n', n, '-w', '-F'], who: ['who'], lastb: ['lastb', '-n', '10', '-w', '-F'] },
    });
    const who = commandOutput(g, 'who');
    const last = commandOutput(g, 'last');
    const lastb = commandOutput(g, 'lastb');
    const sessions = (who.stdout ?? '').split('\n').filter((l) => l.trim());
    const logins = (last.stdout ?? '').split('\n').filter((l) => l.trim() && !/^wtmp begins/.test(l));
    const failed = (lastb.stdout ?? '').split('\n').filter((l) => l.trim() && !/^btmp begins/.test(l));
    const text = [
      `Logged in now: ${sessions.length ? `\n${sessions.join('\n')}` : 'nobody'}`,
      last.stdout !== null
        ? `Recent logins (${logins.length}):${logins.length ? `\n${logins.join('\n')}` : ' none recorded in wtmp'}`
        : `Recent logins: unavailable (${last.problem})`,
      lastb.stdout !== null ? `Failed logins (${failed.length}):${failed.length ? `\n${failed.join('\n')}` : ' none recorded'}` : null,
    ]
      .filter(Boolean)
      .join('\n\n');
    return {
      data: { sessions, logins, failed },
      text,
      summary: `${sessions.length} sessions, ${logins.length} recent logins, ${failed.length} failed`,
    };
  },
});
