import type { PolicyVerdict } from './types';

const minted = new WeakSet<object>();

/**
 * The only thing `fleet` executes. Instances come from `SafetyGate` alone: the
 * constructor is private and `isApprovedCommand` checks a module-private registry,
 * so a look-alike object built elsewhere is refused.
 */
export class ApprovedCommand {
  private constructor(
    readonly command: string,
    /** Words to run without a shell, or null when the command needs `sh -c` (pipelines, lists). */
    readonly argv: readonly string[] | null,
    readonly host: string,
    readonly requester: string,
    readonly verdict: PolicyVerdict,
    readonly policyVersion: string,
    readonly approvedAt: string,
  ) {
    Object.freeze(this);
  }

  /** @internal used by SafetyGate only (not re-exported from the safety index). */
  static mint(fields: {
    command: string;
    argv: readonly string[] | null;
    host: string;
    requester: string;
    verdict: PolicyVerdict;
    policyVersion: string;
  }): ApprovedCommand {
    const cmd = new ApprovedCommand(
      fields.command,
      fields.argv ? Object.freeze([...fields.argv]) : null,
      fields.host,
      fields.requester,
      fields.verdict,
      fields.policyVersion,
      new Date().toISOString(),
    );
    minted.add(cmd);
    return cmd;
  }
}

export function isApprovedCommand(value: unknown): value is ApprovedCommand {
  return typeof value === 'object' && value !== null && minted.has(value);
}
