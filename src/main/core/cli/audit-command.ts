import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { resolvePaths } from '../config';
import { AuditLog, readAuditKey, type AuditEntry, type AuditKind } from '../safety';
import { Store } from '../store';
import { CliFailure, EXIT, UsageError } from './exit';

const KINDS: readonly AuditKind[] = ['request', 'tool_call', 'decision', 'approval', 'execution', 'settings', 'policy', 'retention'];

function withAudit<T>(fn: (log: AuditLog, hasKey: boolean) => T): T {
  const { dataDir } = resolvePaths();
  const store = Store.open(dataDir);
  try {
    const key = readAuditKey(dataDir);
    return fn(new AuditLog(store.db, key), key !== null);
  } finally {
    store.close();
  }
}

function describeEntry(e: AuditEntry): string {
  const where = e.host ? ` @${e.host}` : '';
  const what = e.subject ? `  ${e.subject}` : '';
  const decision = typeof e.data.decision === 'string' ? `  [${e.data.decision}]` : '';
  return `${String(e.seq).padStart(6)}  ${e.at}  ${e.kind.padEnd(9)} ${e.actor}${where}${what}${decision}`;
}

/** Writes with backpressure; false once the reader went away (`| head`), so the caller stops. */
function write(out: Writable, text: string): Promise<boolean> | boolean {
  if (out.destroyed || out.writableEnded) return false;
  if (out.write(text)) return true;
  return new Promise((resolve) => {
    out.once('drain', () => resolve(true));
    out.once('close', () => resolve(false));
  });
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('The tamper-evident audit log: list, verify, export');

  audit
    .command('list', { isDefault: true })
    .description('Recent audit entries, newest first')
    .option('--limit <n>', 'how many entries', '50')
    .option('--kind <kind>', `only one kind (${KINDS.join(', ')})`)
    .option('--json', 'one JSON object per line')
    .action((flags: { limit: string; kind?: string; json?: boolean }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit must be a positive whole number, got "${flags.limit}"`);
      if (flags.kind && !KINDS.includes(flags.kind as AuditKind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
      withAudit((log) => {
        const entries = log.list({ limit, kind: flags.kind as AuditKind | undefined, newestFirst: true });
        if (flags.json) for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
        else if (entries.length === 0) process.stdout.write('the audit log is empty\n');
        else process.stdout.write(`${entries.map(describeEntry).join('\n')}\n`);
      });
    });

  audit
    .command('verify')
    .description('Check the hash chain and the signed checkpoints; exits 1 naming the first broken row')
    .option('--json', 'print the result as JSON')
    .action((flags: { json?: boolean }) => {
      withAudit((log, hasKey) => {
        if (!hasKey) {
          const empty = log.list({ limit: 1 }).length === 0 && log.checkpoints().length === 0;
          if (!empty) throw new CliFailure('the audit key (audit.key in the data dir) is missing, so the checkpoints cannot be verified');
          process.stdout.write(flags.json ? `${JSON.stringify({ ok: true, rows: 0, checkpoints: 0 })}\n` : 'audit log is empty\n');
          return;
        }
        const result = log.verify();
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) {
          if (!flags.json) process.stderr.write(`audit log BROKEN at row ${result.brokenAt}: ${result.problem}\n`);
          process.exitCode = EXIT.failure;
          return;
        }
        if (!flags.json) {
          const range = result.firstSeq !== null ? ` (rows ${result.firstSeq}-${result.lastSeq})` : '';
          const tail = result.uncheckpointedRows > 0 ? `; the last ${result.uncheckpointedRows} row(s) are not covered by a checkpoint yet` : '';
          process.stdout.write(`audit log intact: ${result.rows} rows${range}, ${result.checkpoints} signed checkpoints${tail}\n`);
        }
      });
    });

  audit
    .command('export')
    .description('Write every entry as JSON Lines (with its hashes, so the chain can be checked elsewhere)')
    .option('--output <file>', 'write to a file instead of stdout')
    .action(async (flags: { output?: string }) => {
      const out: Writable = flags.output ? createWriteStream(flags.output, { flags: 'wx', mode: 0o600 }) : process.stdout;
      // A reader that stops early (`| head`) is not an error.
      out.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') process.stderr.write(`fleetmind audit export: ${err.message}\n`);
        out.destroy();
      });
      const { dataDir } = resolvePaths();
      const store = Store.open(dataDir);
      try {
        const log = new AuditLog(store.db, null);
        for (const entry of log.entries()) if (!(await write(out, `${JSON.stringify(entry)}\n`))) break;
      } finally {
        store.close();
        if (flags.output && !out.destroyed) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
    });
}
