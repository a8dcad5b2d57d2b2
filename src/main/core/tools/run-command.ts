import { z } from 'zod';
import { hostArg } from './host-arg';

/**
 * `run_command` (DESIGN contract): any shell command, judged by the safety policy per
 * host. Allowed commands run at once; `ask` becomes a pending approval (never run
 * without a decision); `deny` is refused with the reasons. Handled by ToolRunner
 * because it needs the gate and the approval queue rather than `gather`.
 */
export const runCommandInput = z
  .object({
    command: z.string().min(1).max(8000).describe('The exact shell command to run'),
    host: hostArg,
    purpose: z.string().max(500).optional().describe('Why this command is needed; shown to the operator in the approval dialog'),
  })
  .strict();

export const runCommandTool = {
  name: 'run_command',
  description:
    'Run a shell command on one or more hosts. Read-only inspection commands run immediately; anything that changes a system needs the operator\'s approval and is queued, not run: the result then says so with the approval id. State the purpose.',
  kind: 'execute' as const,
  input: runCommandInput,
  scope: 'command' as const,
};
