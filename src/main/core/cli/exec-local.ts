import type { ApprovalView, ExecResultLine, TypedConfirmation } from '../../../shared/protocol';
import { escapeControls, hasControls } from '../../../shared/text/escape-controls';
import { ApprovalError } from '../approvals';
import { FleetCore } from '../fleet-core';
import { cliName } from '../config';
import { fanOut, SelectorError } from '../fleet';
import type { ApprovalRepository } from '../store';
import { confirm, promptLine, typedHostNames, untilInterrupted, waitForDecision } from './approval-wait';
import { requestViaServer, serverFor, ServerError } from './cli-client';
import { UsageError } from './exit';

/**
 * The core side of `fleetmind exec`, loaded only when it runs here (no server) or in the
 * server for a thin client: one implementation, so both paths judge, resolve path words
 * on the host and queue approvals identically.
 */
export interface ExecRequest {
  hosts: string;
  command: string;
  argv?: string[];
  concurrency: number;
  timeoutMs: number;
}

/** Selects the hosts (a bad selector is a UsageError) and fans the command out; results stream to onResult. */
export async function execOnCore(core: FleetCore, req: ExecRequest, on: { start: (hostCount: number) => void; result: (line: ExecResultLine) => void }): Promise<ExecResultLine[]> {
  let hosts;
  try {
    hosts = core.inventory.select(req.hosts);
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
  on.start(hosts.length);
  return fanOut(core.fleet, core.gate, hosts, {
    command: req.command,
    argv: req.argv,
    requester: 'cli:exec',
    concurrency: req.concurrency,
    exec: { timeoutMs: req.timeoutMs },
    requestApproval: (ask) => core.requestApproval({ ...ask, conversationId: null, purpose: null, requester: 'cli:exec' }),
    onResult: on.result,
  });
}

/** Exec needs the gate, the fleet and the approval queue only: not the agent, model clients or metrics. */
export function openCore(): FleetCore {
  return new FleetCore();
}

/** The held approval_required lines, with the message saying how it ended. */
function endedLines(held: ExecResultLine[], code: 'approval_required' | 'policy_denied', message: string): ExecResultLine[] {
  return held.map((l) => ({ ...l, error: { code, approvalId: l.error?.approvalId, message } }));
}

/**
 * What happens to the approval an `ask` verdict queued: decided at a terminal prompt,
 * waited for (decided by another process, the API or the UI), or left pending.
 * Returns the lines that replace the held ones and whether Ctrl-C stopped it.
 */
/** Why a decision could not be made (an ApprovalError's code and message, wherever it was decided). */
export class DecisionRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DecisionRefused';
  }
}

/**
 * Where exec's prompt decides an approval and where a wait reads it. The decision is made
 * by whoever owns the queue: the running server when the command went through it (it alone
 * can run a queued command that holds a secret, and it continues the conversation), else
 * this process's core. Reads go to the shared store either way.
 */
export interface ApprovalDesk {
  approvals: ApprovalRepository;
  /** The results of an approved command (none for a denial); DecisionRefused when it cannot be decided. */
  decide(id: string, input: { decision: 'approve' | 'deny'; reason?: string; confirmHosts?: string[] }): Promise<ExecResultLine[]>;
  /** The host names approving needs typed (production tags), or null when a yes will do. */
  confirmation(id: string): Promise<TypedConfirmation | null>;
}

/** Decides with this process's core. */
export function coreDesk(core: FleetCore): ApprovalDesk {
  return {
    approvals: core.store.approvals,
    decide: async (id, input) => {
      try {
        return (await core.approvals.decide(id, { ...input, actor: 'cli' })).results;
      } catch (err) {
        if (err instanceof ApprovalError) throw new DecisionRefused(err.error.code, err.error.message);
        throw err;
      }
    },
    confirmation: async (id) => {
      await core.ready();
      const record = core.store.approvals.get(id);
      return record ? (core.approvalView(record).confirmation ?? null) : null;
    },
  };
}

/** Decides through the running server (reads from `core`'s store); falls back to `core` when the server is gone. */
export function serverDesk(dataDir: string, core: FleetCore): ApprovalDesk {
  return {
    approvals: core.store.approvals,
    decide: async (id, input) => {
      const connection = await serverFor(dataDir, `approvals ${input.decision}`, false);
      if (!connection) return coreDesk(core).decide(id, input);
      try {
        const reply = await requestViaServer(connection, { type: 'approvals.decide', id, ...input }, (m) => m.type === 'reply');
        return (reply.body as { results: ExecResultLine[] }).results;
      } catch (err) {
        const refused = err instanceof ServerError ? (err.detail.approvalError as { code?: string; message?: string } | undefined) : undefined;
        if (refused?.code && refused.message) throw new DecisionRefused(refused.code, refused.message);
        throw err;
      }
    },
    confirmation: async (id) => {
      const connection = await serverFor(dataDir, 'approvals show', false);
      if (!connection) return coreDesk(core).confirmation(id);
      const reply = await requestViaServer(connection, { type: 'approvals.show', id }, (m) => m.type === 'reply');
      return (reply.body as { approval: ApprovalView }).approval.confirmation ?? null;
    },
  };
}

export async function settleApproval(desk: ApprovalDesk, id: string, held: ExecResultLine[], mode: { interactive: boolean; wait: boolean }): Promise<{ lines: ExecResultLine[]; interrupted: boolean }> {
  const cli = cliName();
  const howToDecide = `decide it with \`${cli} approvals approve ${id}\` or \`${cli} approvals deny ${id}\``;
  const stillPending = (why: string) => {
    process.stderr.write(`${why}: approval ${id} is still pending; ${howToDecide}, and read the result with \`${cli} approvals show ${id}\`\n`);
    return { lines: endedLines(held, 'approval_required', `approval ${id} is still pending (nothing ran yet); ${howToDecide}`), interrupted: true };
  };
  const approval = desk.approvals.get(id);
  if (!approval) return { lines: held, interrupted: false };
  let waitElsewhere = mode.wait;
  if (mode.interactive) {
    // On production hosts a yes is not enough: the operator types the host names (the approval service checks them).
    const needed = await desk.confirmation(id);
    const hidden = hasControls(approval.command);
    process.stderr.write(
      [
        '',
        `Approval needed (${escapeControls(approval.category)}), request ${id}:`,
        `  command:  ${escapeControls(approval.command)}`,
        hidden ? '  WARNING:  the command contains control or invisible characters, shown above as \\x.. / \\u.... escapes; they are part of what runs' : null,
        `  hosts:    ${approval.hosts.map((h) => escapeControls(h)).join(', ')}`,
        `  why:      ${approval.reasons.map((r) => escapeControls(r)).join('; ')}`,
        `  expires:  ${approval.expiresAt}`,
        ...(needed ? needed.reasons.map((r) => `  PRODUCTION: ${escapeControls(r)}`) : []),
        '',
      ]
        .filter((l) => l !== null)
        .join('\n'),
    );
    let answer: 'yes' | 'no' | 'interrupted';
    let confirmHosts: string[] | undefined;
    if (needed) {
      const many = needed.hosts.length > 1;
      const typed = await promptLine(
        `Type ${many ? `the names of these ${needed.hosts.length} production hosts, separated by spaces,` : 'the host name'} to approve and run it now (nothing typed ${mode.wait ? 'leaves it pending and waits for a decision elsewhere' : 'denies it'}): `,
      );
      answer = typed === null ? 'interrupted' : typed === '' ? 'no' : 'yes';
      confirmHosts = typed ? typedHostNames([typed]) : undefined;
    } else {
      answer = await confirm(`Approve and run it now? [y/N] (${mode.wait ? 'N leaves it pending and waits for a decision elsewhere' : 'N denies it'}) `);
    }
    if (answer === 'interrupted') return stillPending('stopped');
    if (answer === 'yes') {
      try {
        const results = await desk.decide(id, { decision: 'approve', ...(confirmHosts ? { confirmHosts } : {}) });
        process.stderr.write(`approved ${id}\n`);
        return { lines: results, interrupted: false };
      } catch (err) {
        if (!(err instanceof DecisionRefused)) throw err;
        // A wrong name leaves the request pending (a typo is not a denial): say how to approve it.
        const retry = err.code === 'confirmation_required' ? `; approve it with \`${cli} approvals approve ${id} --confirm-host NAME\`` : '';
        process.stderr.write(`could not approve ${id}: ${escapeControls(err.message)}${retry}\n`);
        return { lines: endedLines(held, err.code === 'policy_denied' ? 'policy_denied' : 'approval_required', `${err.message}${retry}`), interrupted: false };
      }
    }
    if (!waitElsewhere) {
      try {
        await desk.decide(id, { decision: 'deny', reason: 'declined at the exec prompt' });
      } catch (err) {
        if (!(err instanceof DecisionRefused)) throw err;
      }
      process.stderr.write(`denied ${id}; nothing ran\n`);
      return { lines: endedLines(held, 'policy_denied', `the operator declined approval ${id} at the prompt; nothing ran`), interrupted: false };
    }
    waitElsewhere = true;
  }
  if (!waitElsewhere) {
    process.stderr.write(`approval ${id} is pending for ${approval.hosts.map((h) => escapeControls(h)).join(', ')}: ${howToDecide}; \`${cli} approvals show ${id}\` prints the result once it ran (or run exec with --wait)\n`);
    return { lines: held, interrupted: false };
  }
  process.stderr.write(`waiting for a decision on approval ${id} (until ${approval.expiresAt}): ${howToDecide} from another terminal, the API or the UI; Ctrl-C stops waiting and leaves it pending\n`);
  const outcome = await untilInterrupted((signal) => waitForDecision(desk.approvals, id, signal));
  switch (outcome.kind) {
    case 'interrupted':
      return stillPending('interrupted');
    case 'ran':
      process.stderr.write(`approved ${id}${outcome.approval.decisionReason ? ` (${escapeControls(outcome.approval.decisionReason)})` : ''}; it ran:\n`);
      return { lines: outcome.results, interrupted: false };
    case 'denied': {
      const why = outcome.approval.decisionReason ? `, saying: ${outcome.approval.decisionReason}` : '';
      process.stderr.write(`denied ${id}${escapeControls(why)}; nothing ran\n`);
      return { lines: endedLines(held, 'policy_denied', `the operator denied approval ${id}${why}; nothing ran`), interrupted: false };
    }
    case 'expired':
      process.stderr.write(`approval ${id} expired undecided; nothing ran\n`);
      return { lines: endedLines(held, 'approval_required', `approval ${id} expired undecided; nothing ran (run exec again to ask again)`), interrupted: false };
    case 'no_results':
      process.stderr.write(`approval ${id} was approved, but no result was recorded; \`${cli} approvals show ${id}\` shows it once there is one\n`);
      return { lines: endedLines(held, 'approval_required', `approval ${id} was approved but recorded no result yet`), interrupted: false };
  }
}

