import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { AnchorSourceError, auditLogId, readAnchoredHeads } from '../audit-anchor';
import { cliName, resolvePaths } from '../config';
import { AuditLog, readAuditKey, type AuditAnchor, type AuditEntry, type AuditKind } from '../safety';
import { Store } from '../store';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { CliFailure, EXIT, UsageError } from './exit';

const KINDS: readonly AuditKind[] = ['request', 'tool_call', 'decision', 'approval', 'execution', 'settings', 'policy', 'retention'];

function withAudit<T>(fn: (log: AuditLog, hasKey: boolean, dataDir: string) => T): T {
  const { dataDir } = resolvePaths();
  const store = Store.open(dataDir);
  try {
    const key = readAuditKey(dataDir);
    // Reading and verifying only: no batch checkpoints from this process.
    return fn(new AuditLog(store.db, key, { scheduleBatch: null }), key !== null, dataDir);
  } finally {
    store.close();
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `SEQ:HASH`, as `fleetmind audit head` prints it. */
function parseHead(text: string): AuditAnchor {
  const m = /^(\d{1,15}):([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m) throw new UsageError(`--head takes SEQ:HASH as \`${cliName()} audit head\` prints it (a row number, a colon, 64 hex digits), got "${escapeControls(text)}"`);
  return { seq: Number(m[1]), hash: (m[2] as string).toLowerCase() };
}

interface VerifyFlags {
  json?: boolean;
  head: string[];
  journal?: boolean;
  since?: string;
}

/** The heads to check the log against: given with --head, and anchored in the system journal/syslog with --journal. */
async function anchorsFor(flags: VerifyFlags): Promise<{ anchors: AuditAnchor[]; journal: string[] }> {
  const anchors = flags.head.map(parseHead);
  if (flags.since !== undefined && !flags.journal) throw new UsageError('--since applies to --journal');
  const since = flags.since !== undefined ? Date.parse(flags.since) : Number.NEGATIVE_INFINITY;
  if (Number.isNaN(since)) throw new UsageError(`--since takes a time such as 2025-01-31 or 2025-01-31T12:00:00Z, got "${escapeControls(flags.since ?? '')}"`);
  if (!flags.journal) return { anchors, journal: [] };
  const { dataDir } = resolvePaths();
  const logId = auditLogId(dataDir);
  let found;
  try {
    found = await readAnchoredHeads(logId);
  } catch (err) {
    if (err instanceof AnchorSourceError) throw new CliFailure(`cannot check anchored heads: ${err.message}`);
    throw err;
  }
  const fromJournal = found.anchors.filter((a) => !(Date.parse(a.at) < since));
  if (fromJournal.length === 0) {
    throw new CliFailure(
      `no head of this audit log (log=${logId}, ${dataDir}) is anchored in ${found.sources.join(' or ')}${flags.since ? ` since ${flags.since}` : ''}: ` +
        'set `audit: {anchor: syslog}` in config.yaml; every checkpoint then writes its head there',
    );
  }
  return { anchors: [...anchors, ...fromJournal], journal: found.sources };
}

/** One line per entry; subjects are commands a model may have written, so control characters show as escapes. */
function describeEntry(e: AuditEntry): string {
  const where = e.host ? ` @${escapeControls(e.host)}` : '';
  const what = e.subject ? `  ${escapeControls(e.subject)}` : '';
  const decision = typeof e.data.decision === 'string' ? `  [${escapeControls(e.data.decision)}]` : '';
  return `${String(e.seq).padStart(6)}  ${e.at}  ${e.kind.padEnd(9)} ${escapeControls(e.actor)}${where}${what}${decision}`;
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
  const audit = program.command('audit').description('The tamper-evident audit log: list, verify, head, export');

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
        if (flags.json) for (const e of entries) process.stdout.write(`${safeJsonStringify(e)}\n`);
        else if (entries.length === 0) process.stdout.write('the audit log is empty\n');
        else process.stdout.write(`${entries.map(describeEntry).join('\n')}\n`);
      });
    });

  audit
    .command('verify')
    .description('Check the hash chain, the signed checkpoints and any anchored heads; exits 1 naming the first broken row')
    .option('--json', 'print the result as JSON')
    .option('--head <seq:hash>', 'also require this head, from `fleetmind audit head`, to be in the log unchanged (repeatable)', collect, [])
    .option('--journal', 'also check every head anchored in the system journal or syslog (audit.anchor: syslog)')
    .option('--since <time>', 'with --journal: ignore heads anchored before this time (after deliberately starting a new log in this data dir)')
    .action(async (flags: VerifyFlags) => {
      const { anchors, journal } = await anchorsFor(flags);
      withAudit((log, hasKey) => {
        if (!hasKey) {
          const empty = log.list({ limit: 1 }).length === 0 && log.checkpoints().length === 0;
          if (!empty) throw new CliFailure('the audit key (audit.key in the data dir) is missing, so the checkpoints cannot be verified');
          const lost = anchors.reduce((max, a) => Math.max(max, a.seq), 0);
          if (lost > 0) throw new CliFailure(`the audit log is empty, but an anchored head names row ${lost}: the log was removed`);
          process.stdout.write(flags.json ? `${JSON.stringify({ ok: true, rows: 0, checkpoints: 0 })}\n` : 'audit log is empty\n');
          return;
        }
        const result = log.verify({ anchors });
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) {
          if (!flags.json) process.stderr.write(`audit log BROKEN at row ${result.brokenAt}: ${escapeControls(result.problem)}\n`);
          process.exitCode = EXIT.failure;
          return;
        }
        if (!flags.json) {
          const range = result.firstSeq !== null ? ` (rows ${result.firstSeq}-${result.lastSeq})` : '';
          const tail = result.uncheckpointedRows > 0 ? `; the last ${result.uncheckpointedRows} row(s) are not covered by a checkpoint yet` : '';
          const a = result.anchors;
          const anchored = a
            ? `; ${a.checked} anchored head${a.checked === 1 ? '' : 's'} found unchanged (newest: row ${a.newestSeq})${a.pruned > 0 ? `, ${a.pruned} older one(s) name rows retention removed` : ''}${journal.length > 0 ? `, read from ${journal.join(' and ')}` : ''}`
            : '';
          process.stdout.write(`audit log intact: ${result.rows} rows${range}, ${result.checkpoints} signed checkpoints${tail}${anchored}\n`);
        }
      });
    });

  audit
    .command('head')
    .description("Print the chain head (SEQ:HASH of the newest row), after verifying the log, to keep where the data dir's user cannot change it; check later with `audit verify --head`")
    .option('--json', 'print {"seq","hash","at","log"}')
    .action((flags: { json?: boolean }) => {
      withAudit((log, hasKey, dataDir) => {
        if (!hasKey) {
          const empty = log.list({ limit: 1 }).length === 0 && log.checkpoints().length === 0;
          if (!empty) throw new CliFailure('the audit key (audit.key in the data dir) is missing, so the log cannot be verified before its head is printed');
        } else {
          // A head of a log that is already broken would anchor the damage.
          const result = log.verify();
          if (!result.ok) throw new CliFailure(`the audit log is broken at row ${result.brokenAt} (${escapeControls(result.problem)}); not printing a head for it`);
        }
        const head = log.head();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ seq: head.seq, hash: head.hash, at: head.at, log: auditLogId(dataDir) })}\n`);
          return;
        }
        process.stdout.write(`${head.seq}:${head.hash}\n`);
        process.stderr.write(
          `the head of the audit log in ${escapeControls(dataDir)}: row ${head.seq}${head.at ? `, written ${head.at}` : ''}. Keep the line above where this user cannot change it ` +
            `(a ticket, another machine); \`${cliName()} audit verify --head ${head.seq}:${head.hash}\` fails if the log no longer holds that row unchanged.\n`,
        );
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
        for (const entry of log.entries()) if (!(await write(out, `${safeJsonStringify(entry)}\n`))) break;
      } finally {
        store.close();
        if (flags.output && !out.destroyed) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
    });
}
