import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecResultLine } from '../../../shared/protocol';
import type { ApprovalRecord, ApprovalRepository } from '../store';

/** How often a waiting `exec --wait` reads the approval store (another process decides). */
const POLL_MS = 400;
/** After an approval is decided elsewhere, how long to wait for the approver's run to record its results. */
const RESULTS_GRACE_MS = 15 * 60 * 1000;

export type WaitOutcome =
  | { kind: 'ran'; approval: ApprovalRecord; results: ExecResultLine[] }
  | { kind: 'denied'; approval: ApprovalRecord }
  | { kind: 'expired'; approval: ApprovalRecord }
  /** Approved, but no results were recorded in time (the approving process died or is still running). */
  | { kind: 'no_results'; approval: ApprovalRecord }
  | { kind: 'interrupted' };

/**
 * Waits until approval `id` is decided by someone else (another CLI, the API, the UI),
 * reading the shared store. Bounded: a pending approval expires (the store marks it),
 * and an approved one must record its results within RESULTS_GRACE_MS. `signal` stops
 * the wait (Ctrl-C), leaving the approval as it is.
 */
export async function waitForDecision(approvals: ApprovalRepository, id: string, signal: AbortSignal): Promise<WaitOutcome> {
  for (;;) {
    approvals.pending(); // marks expired ones
    const a = approvals.get(id);
    if (!a) throw new Error(`approval ${id} disappeared from the store`);
    if (a.status === 'denied') return { kind: 'denied', approval: a };
    if (a.status === 'expired') return { kind: 'expired', approval: a };
    if (a.status === 'approved') {
      if (a.results) return { kind: 'ran', approval: a, results: a.results };
      if (a.decidedAt && Date.parse(a.decidedAt) + RESULTS_GRACE_MS < Date.now()) return { kind: 'no_results', approval: a };
    }
    try {
      await sleep(POLL_MS, undefined, { signal });
    } catch {
      return { kind: 'interrupted' };
    }
  }
}

/** An AbortSignal that fires on Ctrl-C (SIGINT) while `run` is in progress; the handler is removed afterwards. */
export async function untilInterrupted<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInt = () => controller.abort();
  process.on('SIGINT', onInt);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** Asks a yes/no question on the terminal (stderr); anything but y/yes is no; Ctrl-C is 'interrupted'. */
export function confirm(question: string): Promise<'yes' | 'no' | 'interrupted'> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: 'yes' | 'no' | 'interrupted') => {
      if (done) return;
      done = true;
      rl.close();
      resolve(answer);
    };
    rl.on('SIGINT', () => {
      process.stderr.write('\n');
      finish('interrupted');
    });
    // End of input (Ctrl-D) is no.
    rl.on('close', () => finish('no'));
    rl.question(question, (answer) => finish(/^\s*y(es)?\s*$/i.test(answer) ? 'yes' : 'no'));
  });
}

/**
 * Asks for a line of text on the terminal (stderr), such as a host name typed to confirm an
 * approval. The answer is trimmed; end of input (Ctrl-D) is an empty answer; Ctrl-C is null.
 */
export function promptLine(question: string): Promise<string | null> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: string | null) => {
      if (done) return;
      done = true;
      rl.close();
      resolve(answer);
    };
    rl.on('SIGINT', () => {
      process.stderr.write('\n');
      finish(null);
    });
    rl.on('close', () => finish(''));
    rl.question(question, (answer) => finish(answer.trim()));
  });
}

/** Host names typed at a prompt or given to --confirm-host: separated by blanks or commas (neither occurs in a host name). */
export function typedHostNames(text: readonly string[]): string[] {
  return text.flatMap((t) => t.split(/[\s,]+/)).filter((t) => t.length > 0);
}
