import type { Host } from '../../../shared/protocol';
import type { SafetyGate } from '../safety';
import { LocalExecutor } from './local-executor';
import type { Inventory } from './inventory';
import type { Executor, GatherResult, GatherSpec, GatheredCommand } from './types';

export class TransportUnavailableError extends Error {
  constructor(host: Host) {
    super(`host "${host.name}" is reached over SSH, which this build cannot do yet`);
    this.name = 'TransportUnavailableError';
  }
}

/**
 * Entry to the fleet: inventory, one executor per host, and `gather`, which runs a
 * tool's reads and commands on one host after each command has passed the safety gate.
 */
export class Fleet {
  private readonly executors = new Map<string, Executor>();

  constructor(
    readonly inventory: Inventory,
    private readonly gate: SafetyGate,
  ) {}

  executor(host: Host): Executor {
    const existing = this.executors.get(host.name);
    if (existing) return existing;
    if (host.transport !== 'local') throw new TransportUnavailableError(host);
    const created = new LocalExecutor(host);
    this.executors.set(host.name, created);
    return created;
  }

  async gather(host: Host, spec: GatherSpec): Promise<GatherResult> {
    const executor = this.executor(host);
    const commandEntries = Object.entries(spec.commands ?? {});
    const [files, ran] = await Promise.all([
      spec.files && spec.files.length > 0 ? executor.readFiles(spec.files) : Promise.resolve({}),
      Promise.all(
        commandEntries.map(async ([key, argv]): Promise<[string, GatheredCommand]> => {
          const check = this.gate.check({
            command: argv.join(' '),
            argv: [...argv],
            host: host.name,
            requester: spec.requester,
          });
          if (!check.ok) return [key, { status: 'refused', verdict: check.verdict }];
          const outcome = await executor.run(check.command, {
            timeoutMs: spec.timeoutMs,
            maxOutputBytes: spec.maxOutputBytes,
            signal: spec.signal,
          });
          return [key, { status: 'ran', outcome }];
        }),
      ),
    ]);
    return { host, files, commands: Object.fromEntries(ran) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.close()));
    this.executors.clear();
  }
}
