import { ApprovedCommand } from './approved-command';
import type { CommandPolicy, CommandRequest, PolicyVerdict } from './types';

export type GateResult =
  | { ok: true; command: ApprovedCommand; verdict: PolicyVerdict }
  | { ok: false; verdict: PolicyVerdict };

/**
 * Every face and every agent asks here before anything runs. Only an `allow` verdict
 * mints an ApprovedCommand; `ask` and `deny` come back as refusals the caller must
 * surface (approvals arrive with the safety issue: until then `ask` is not executed).
 */
export class SafetyGate {
  constructor(private readonly policy: CommandPolicy) {}

  get policyVersion(): string {
    return this.policy.version;
  }

  evaluate(request: CommandRequest): PolicyVerdict {
    return this.policy.evaluate(request);
  }

  check(request: CommandRequest): GateResult {
    let verdict: PolicyVerdict;
    try {
      verdict = this.policy.evaluate(request);
    } catch (err) {
      // A policy that throws must fail closed.
      verdict = { decision: 'deny', category: 'unknown', reasons: [`policy error: ${(err as Error).message}`] };
    }
    if (verdict.decision !== 'allow') return { ok: false, verdict };
    const command = ApprovedCommand.mint({
      command: request.command,
      argv: request.argv ?? null,
      host: request.host,
      requester: request.requester,
      verdict,
      policyVersion: this.policy.version,
    });
    return { ok: true, command, verdict };
  }
}
