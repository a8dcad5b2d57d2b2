import type { Host } from '../../../shared/protocol';
import { MAX_GLOB_MATCHES, noAudit, type ApprovedCommand, type AuditSink, type CommandRequest, type GlobFact, type PolicyVerdict, type SafetyGate } from '../safety';
import { AuditingExecutor } from './auditing-executor';
import { TransportUnavailableError } from './errors';
import type { Inventory } from './inventory';
import { passableNames } from './command-environment';
import { LocalExecutor } from './local-executor';
import { globExpansionScript, parseGlobExpansion, parseRealpathOutput, pathWords, resolveLocally } from './path-facts';
import { knownHostsName, type PublicHostKey } from './ssh/known-hosts';
import type { HostKeyVerdict } from './ssh/host-keys';
import { SshPool, type SshPoolOptions } from './ssh/pool';
import { SshExecutor } from './ssh/ssh-executor';
import { shQuote } from './ssh/quote';
import type { Executor, GatherResult, GatherSpec, GatheredCommand, OpenedFile } from './types';

export { TransportUnavailableError } from './errors';

/** What the fleet learned on a host for judging one command there: spread into the gate's request. */
export type PathFacts = Pick<CommandRequest, 'resolvedPaths' | 'globMatches'>;

/** Output of the glob expansion script at most: names and their targets for MAX_GLOB_MATCHES files fit many times over. */
const MAX_EXPANSION_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface FleetOptions {
  /** Every execution is recorded here (the audit log). */
  audit?: AuditSink;
  /** Connection pool settings; defaults: ~/.ssh/known_hosts + the store's host keys, $SSH_AUTH_SOCK, ~/.ssh/id_*. */
  ssh?: Partial<SshPoolOptions>;
  /** Environment variables commands may see besides the minimal set (config: execution.passEnvironment). */
  passEnvironment?: readonly string[];
}

export interface HostKeyScan {
  host: string;
  endpoint: string;
  keyType: string;
  fingerprint: string;
  /** trusted: already known; unknown: never seen; mismatch: differs from what is known; revoked. */
  status: HostKeyVerdict['status'];
  expected: { fingerprint: string; keyType: string; source: string }[];
}

export class HostKeyConfirmationError extends Error {
  constructor(
    message: string,
    readonly code: 'conflict' | 'bad_request',
  ) {
    super(message);
    this.name = 'HostKeyConfirmationError';
  }
}

function scanOf(host: Host, key: PublicHostKey, verdict: HostKeyVerdict): HostKeyScan {
  return {
    host: host.name,
    endpoint: knownHostsName(host.address, host.port),
    keyType: key.type,
    fingerprint: key.fingerprint,
    status: verdict.status,
    expected: verdict.status === 'mismatch' ? verdict.expected : [],
  };
}

/**
 * Entry to the fleet: inventory, one executor per host (local processes, or channels on
 * the pooled SSH connection), and `gather`, which runs a tool's reads and commands on one
 * host after each command has passed the safety gate — in one round trip when the
 * executor can batch (SSH).
 */
export class Fleet {
  private readonly executors = new Map<string, { signature: string; executor: Executor }>();
  private pool: SshPool | null = null;

  constructor(
    readonly inventory: Inventory,
    readonly gate: SafetyGate,
    private readonly options: FleetOptions = {},
  ) {}

  /** Where inventory and host-key changes are recorded (FleetHosts). */
  get audit(): AuditSink {
    return this.options.audit ?? noAudit;
  }

  /** The SSH connection pool, created on first use. */
  get sshPool(): SshPool {
    if (!this.pool) {
      this.pool = new SshPool({
        trustStore: this.inventory.hostKeys,
        resolveHost: (name) => {
          const host = this.inventory.get(name);
          return host && host.transport === 'ssh' ? host : null;
        },
        ...this.options.ssh,
      });
    }
    return this.pool;
  }

  executor(host: Host): Executor {
    const signature = JSON.stringify(host);
    const existing = this.executors.get(host.name);
    if (existing && existing.signature === signature) return existing.executor;
    let created: Executor;
    if (host.transport === 'local') created = new LocalExecutor(host, { passEnvironment: this.options.passEnvironment });
    else if (host.transport === 'ssh') created = new SshExecutor(host, this.sshPool, passableNames(this.options.passEnvironment ?? []));
    else throw new TransportUnavailableError(host);
    if (this.options.audit) created = new AuditingExecutor(created, this.options.audit);
    this.executors.set(host.name, { signature, executor: created });
    return created;
  }

  /** Starts connecting to SSH hosts in the background (connections only; nothing runs). */
  prewarm(hosts: readonly Host[], signal?: AbortSignal): void {
    for (const host of hosts) {
      if (host.transport === 'ssh') this.sshPool.warm(host, signal).catch(() => undefined);
    }
  }

  async gather(host: Host, spec: GatherSpec): Promise<GatherResult> {
    await this.gate.ready();
    const executor = this.executor(host);
    const commands: Record<string, GatheredCommand> = {};
    const approved: Record<string, ApprovedCommand> = {};
    // Every command passes the gate first; refusals are results, never executed.
    for (const [key, argv] of Object.entries(spec.commands ?? {})) {
      const check = this.gate.check({ command: argv.join(' '), argv: [...argv], host: host.name, requester: spec.requester, tags: host.tags });
      if (check.ok) approved[key] = check.command;
      else commands[key] = { status: 'refused', verdict: check.verdict };
    }
    // Files: judged as a read of the path as given before anything is opened…
    const refusedFiles: Record<string, PolicyVerdict> = {};
    const files = (spec.files ?? []).filter((file) => {
      const path = typeof file === 'string' ? file : file.path;
      const verdict = this.judgeFileRead(host, path, spec.requester);
      if (verdict) refusedFiles[path] = verdict;
      return verdict === null;
    });
    if (files.length === 0 && Object.keys(approved).length === 0) return { host, files: Object.fromEntries(Object.keys(refusedFiles).map((p) => [p, null])), commands, ...(Object.keys(refusedFiles).length ? { refusedFiles } : {}) };
    let read: Record<string, OpenedFile>;
    if (executor.runBatch) {
      // One round trip for the whole tool (remote hosts).
      const batch = await executor.runBatch({
        files,
        maxFileBytes: spec.maxFileBytes,
        commands: approved,
        timeoutMs: spec.timeoutMs,
        maxOutputBytes: spec.maxOutputBytes,
        signal: spec.signal,
      });
      for (const [key, outcome] of Object.entries(batch.commands)) commands[key] = { status: 'ran', outcome };
      read = Object.fromEntries(Object.keys(batch.files).map((path) => [path, { content: batch.files[path] ?? null, resolved: batch.resolved[path] ?? null }]));
    } else {
      const [opened, ran] = await Promise.all([
        files.length > 0 ? executor.openFiles(files, { maxBytes: spec.maxFileBytes }) : Promise.resolve({} as Record<string, OpenedFile>),
        Promise.all(
          Object.entries(approved).map(async ([key, command]): Promise<[string, GatheredCommand]> => {
            const outcome = await executor.run(command, { timeoutMs: spec.timeoutMs, maxOutputBytes: spec.maxOutputBytes, signal: spec.signal });
            return [key, { status: 'ran', outcome }];
          }),
        ),
      ]);
      for (const [key, c] of ran) commands[key] = c;
      read = opened;
    }
    // …and again as a read of what the kernel actually opened (a symlink planted under
    // /var/log, a /proc/PID/fd or cwd link): refused bytes are dropped, never returned.
    const contents: Record<string, string | null> = {};
    for (const [path, file] of Object.entries(read)) {
      const verdict = file.content === null ? null : this.judgeOpenedFile(host, path, file.resolved, spec.requester);
      if (verdict) refusedFiles[path] = verdict;
      contents[path] = verdict ? null : file.content;
    }
    for (const path of Object.keys(refusedFiles)) contents[path] = null;
    return { host, files: contents, commands, ...(Object.keys(refusedFiles).length ? { refusedFiles } : {}) };
  }

  /**
   * What the path words of a command resolve to on the host (symlinks, /proc magic links),
   * for the gate to judge as facts. Null when the host could not say (no `realpath -m`,
   * unreachable): the command is then judged by its words as written.
   */
  async resolvePathWords(host: Host, command: string, argv?: readonly string[], signal?: AbortSignal): Promise<Record<string, string> | null> {
    const words = this.pathWordList(command, argv);
    if (words.length === 0) return {};
    if (host.transport === 'local') return resolveLocally(words);
    const resolverArgv = ['realpath', '-m', '-z', '--', ...words];
    const check = this.gate.check({ command: resolverArgv.map(shQuote).join(' '), argv: resolverArgv, host: host.name, requester: 'fleet:resolve-paths', tags: host.tags });
    if (!check.ok) return null;
    try {
      const out = await this.executor(host).run(check.command, { timeoutMs: 10_000, signal });
      return out.error || out.exitCode !== 0 ? null : parseRealpathOutput(words, out.stdout);
    } catch {
      return null;
    }
  }

  /** The words as written, and the paths the policy judged them as (`cd /x && cat f` is /x/f). */
  private pathWordList(command: string, argv?: readonly string[]): string[] {
    return [...new Set([...pathWords(command, argv), ...this.gate.judgedPaths({ command, argv })])].slice(0, 128);
  }

  /**
   * Every fact the gate needs to judge a command on this host, in one round trip: what
   * its path words resolve to, and for each glob word the policy may expand here
   * (SafetyGate.globSites) the names bash makes of it on the host and what each resolves
   * to. The gate then judges, and mints to run, the command with those names in place of
   * the glob, so a file created after this cannot be read by it. When the host cannot
   * answer, the facts it lacks are missing and the command is judged by its text there.
   */
  async pathFacts(host: Host, command: string, argv?: readonly string[], signal?: AbortSignal): Promise<PathFacts> {
    const sites = argv && argv.length > 0 ? [] : this.gate.globSites(command);
    if (sites.length === 0) {
      const resolvedPaths = await this.resolvePathWords(host, command, argv, signal);
      return resolvedPaths ? { resolvedPaths } : {};
    }
    const words = this.pathWordList(command, argv);
    const script = globExpansionScript(
      sites.map((s) => s.word),
      words,
      MAX_GLOB_MATCHES,
    );
    // Run like any command: judged first (it only lists names), then on the host's own bash, in the command's directory.
    const check = this.gate.check({ command: script, host: host.name, requester: 'fleet:expand-globs', tags: host.tags });
    let stdout: string | null = null;
    if (check.ok) {
      try {
        const out = await this.executor(host).run(check.command, { timeoutMs: 15_000, maxOutputBytes: MAX_EXPANSION_OUTPUT_BYTES, signal });
        if (out.error === null && out.exitCode === 0) stdout = out.stdout;
      } catch {
        stdout = null;
      }
    }
    if (stdout === null) {
      const resolvedPaths = await this.resolvePathWords(host, command, argv, signal);
      return resolvedPaths ? { resolvedPaths } : {};
    }
    const groups = parseGlobExpansion(stdout, sites.length + (words.length > 0 ? 1 : 0), MAX_GLOB_MATCHES);
    const resolvedPaths: Record<string, string> = {};
    const unresolved: string[] = [];
    const globMatches: GlobFact[] = sites.map((site, i) => {
      const group = groups[i] as (typeof groups)[number];
      const base = { start: site.start, end: site.end, word: site.word };
      if (group.words === null) {
        const unknown =
          group.count !== null && group.count > MAX_GLOB_MATCHES
            ? `it matches ${group.count} names, more than the ${MAX_GLOB_MATCHES} judged one by one`
            : 'the names it matches could not all be listed';
        return { ...base, matches: null, unknown, ...(group.count !== null ? { count: group.count } : {}) };
      }
      // A name that was not valid UTF-8 cannot be written back into the command as it is.
      if (group.words.some((w) => w.includes('�')) || group.resolved?.some((r) => r.includes('�'))) {
        return { ...base, matches: null, unknown: 'a name it matches is not valid UTF-8', count: group.words.length };
      }
      group.words.forEach((w, j) => {
        const target = group.resolved?.[j];
        if (target !== undefined) resolvedPaths[w] = target;
        else unresolved.push(w);
      });
      return { ...base, matches: group.words, count: group.words.length };
    });
    const pathGroup = words.length > 0 ? groups[sites.length] : undefined;
    words.forEach((w, j) => {
      const target = pathGroup?.resolved?.[j];
      if (target !== undefined && pathGroup?.words?.[j] === w) resolvedPaths[w] = target;
      else unresolved.push(w);
    });
    // This machine can still answer for names realpath did not (no coreutils realpath, a loop); a remote one cannot.
    if (host.transport === 'local' && unresolved.length > 0) Object.assign(resolvedPaths, await resolveLocally(unresolved));
    return { resolvedPaths, globMatches };
  }

  /** The policy's verdict on reading a path, or null when it may be read. Refusals are audited. */
  private judgeFileRead(host: Host, path: string, requester: string): PolicyVerdict | null {
    const request = { command: `cat -- ${shQuote(path)}`, argv: ['cat', '--', path], host: host.name, requester, tags: host.tags };
    const verdict = this.gate.evaluate(request);
    if (verdict.decision === 'allow') return null;
    this.gate.check(request); // records the refusal in the audit log
    return verdict;
  }

  private judgeOpenedFile(host: Host, path: string, resolved: string | null, requester: string): PolicyVerdict | null {
    if (resolved === null || !resolved.startsWith('/')) {
      // Not a path (a pipe, a socket, an anonymous inode) or the kernel would not say: refuse rather than guess.
      if (path.startsWith('/proc/') || path.startsWith('/dev/')) return null;
      return { decision: 'ask', category: 'unknown', reasons: [`${path} opened as ${resolved ?? 'something without a path'}, which cannot be judged as a file`] };
    }
    // A descriptor of a deleted file reads "/path (deleted)": judge the path it had.
    const target = resolved.replace(/ \(deleted\)$/, '');
    if (target === path) return null;
    const verdict = this.judgeFileRead(host, target, requester);
    return verdict ? { ...verdict, reasons: [`${path} resolves to ${resolved}`, ...verdict.reasons] } : null;
  }

  /** Shows the host key an SSH host presents now and how it compares with what is known. */
  async scanHostKey(host: Host, signal?: AbortSignal): Promise<HostKeyScan> {
    if (host.transport !== 'ssh') throw new HostKeyConfirmationError(`${host.name} is this machine; it has no SSH host key to confirm`, 'bad_request');
    const { key, verdict } = await this.sshPool.scanHostKey(host, signal);
    return scanOf(host, key, verdict);
  }

  /**
   * The operator confirms a host key. The key is fetched again and recorded only if its
   * fingerprint equals the one the operator confirmed (so what was shown is what is
   * trusted). Without a fingerprint nothing is recorded: the scan is returned for display.
   */
  async trustHostKey(host: Host, confirmedFingerprint: string | null, addedBy: string): Promise<{ scan: HostKeyScan; recorded: boolean; replaced: string[] }> {
    if (host.transport !== 'ssh') throw new HostKeyConfirmationError(`${host.name} is this machine; it has no SSH host key to confirm`, 'bad_request');
    const { key, verdict } = await this.sshPool.scanHostKey(host);
    const scan = scanOf(host, key, verdict);
    if (confirmedFingerprint === null) return { scan, recorded: false, replaced: [] };
    const wanted = confirmedFingerprint.trim().replace(/^(?!SHA256:)/, 'SHA256:').replace(/=+$/, '');
    if (wanted !== key.fingerprint) {
      throw new HostKeyConfirmationError(
        `the host key of ${host.name} is ${key.type} ${key.fingerprint}, not the confirmed ${wanted}; nothing was recorded`,
        'conflict',
      );
    }
    if (verdict.status === 'revoked') {
      throw new HostKeyConfirmationError(`the host key of ${host.name} (${key.fingerprint}) is marked @revoked in ${verdict.source}; remove that line first`, 'conflict');
    }
    const replaced = new Set([...this.inventory.hostKeys.forEndpoint(scan.endpoint).map((k) => k.fingerprint), ...scan.expected.map((e) => e.fingerprint)]);
    replaced.delete(key.fingerprint);
    this.inventory.hostKeys.trust({ endpoint: scan.endpoint, hostName: host.name, keyType: key.type, keyBase64: key.base64, fingerprint: key.fingerprint, addedBy });
    this.pool?.resetBackoff(host.name);
    return { scan: { ...scan, status: 'trusted', expected: [] }, recorded: true, replaced: [...replaced] };
  }

  /** Closes a host's pooled connection (after the inventory changed or the host was removed). */
  async forget(hostName: string): Promise<void> {
    this.executors.delete(hostName);
    await this.pool?.forget(hostName);
  }

  async close(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.executor.close()));
    this.executors.clear();
    // The closed pool stays in place: later use fails as "pool closed" instead of reconnecting.
    await this.pool?.close();
  }
}

