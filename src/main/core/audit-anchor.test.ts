import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANCHOR_TAG, AnchorSourceError, anchorMessage, auditLogId, parseAnchorLine, readAnchoredHeads, SyslogAnchor } from './audit-anchor';

/**
 * The system journal and syslog are not available everywhere these tests run (containers
 * have neither), so `logger` and `journalctl` are fakes with the real programs' interface:
 * the fake logger appends what a syslog daemon would write to a file, the fake journalctl
 * prints the messages (`-o cat`) of a fixture and records its arguments.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fm-anchor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const H3 = 'c'.repeat(64);

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A logger that writes "<tag>[pid]: <message>" lines to syslog.txt, its argv to args.txt and its environment to env.txt. */
function fakeLogger(options: { delay?: number; fail?: boolean } = {}): string {
  return script(
    'logger',
    [
      `printf '%s\\n' "$*" >> ${dir}/args.txt`,
      `env > ${dir}/env.txt`,
      options.delay ? `sleep ${options.delay}` : '',
      options.fail ? 'echo "logger: socket /dev/log: No such file or directory" >&2; exit 1' : '',
      // The message is the last argument (after --).
      `for last; do :; done`,
      `printf 'Jan  1 00:00:00 host ${ANCHOR_TAG}[%s]: %s\\n' "$$" "$last" >> ${dir}/syslog.txt`,
    ].join('\n'),
  );
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('anchor lines', () => {
  it('round-trip through a journal message and a syslog line', () => {
    const message = anchorMessage({ seq: 42, hash: H1, at: '2025-01-01T00:00:00.000Z' }, '0123456789abcdef');
    expect(message).toBe(`head seq=42 hash=${H1} at=2025-01-01T00:00:00.000Z log=0123456789abcdef`);
    const parsed = { seq: 42, hash: H1, at: '2025-01-01T00:00:00.000Z', log: '0123456789abcdef' };
    expect(parseAnchorLine(message)).toEqual(parsed);
    expect(parseAnchorLine(`2025-01-01T00:00:01.000000+00:00 host fleetmind-audit[77]: ${message}`)).toEqual(parsed);
    expect(parseAnchorLine('head seq=1 hash=abc at=x log=0123456789abcdef')).toBeNull();
    expect(parseAnchorLine('unrelated')).toBeNull();
  });

  it('name each data dir apart, stably', () => {
    mkdirSync(join(dir, 'a'));
    expect(auditLogId(join(dir, 'a'))).toMatch(/^[0-9a-f]{16}$/);
    expect(auditLogId(join(dir, 'a'))).toBe(auditLogId(`${dir}/./a/`));
    expect(auditLogId(join(dir, 'a'))).not.toBe(auditLogId(join(dir, 'b')));
  });
});

describe('SyslogAnchor', () => {
  it('writes a head with logger -t fleetmind-audit, in a minimal environment', async () => {
    const anchor = new SyslogAnchor({ logId: '0123456789abcdef', logger: fakeLogger() });
    anchor.anchor({ seq: 7, hash: H1, at: '2025-01-01T00:00:00.000Z' });
    await anchor.drain();
    expect(lines(join(dir, 'args.txt'))).toEqual([`--socket-errors=on -t ${ANCHOR_TAG} -- head seq=7 hash=${H1} at=2025-01-01T00:00:00.000Z log=0123456789abcdef`]);
    const env = lines(join(dir, 'env.txt'));
    expect(env).toContain('PATH=/usr/bin:/bin');
    expect(env).toContain('LANG=C');
    expect(env.filter((l) => /^(HOME|USER|FLEETMIND_|OPENAI_)/.test(l))).toEqual([]);
    expect(parseAnchorLine(lines(join(dir, 'syslog.txt'))[0] ?? '')).toMatchObject({ seq: 7, hash: H1 });
  });

  it('runs one logger at a time and collapses the heads that arrive meanwhile into the newest', async () => {
    const anchor = new SyslogAnchor({ logId: '0123456789abcdef', logger: fakeLogger({ delay: 0.2 }) });
    anchor.anchor({ seq: 1, hash: H1, at: 't1' });
    anchor.anchor({ seq: 2, hash: H2, at: 't2' });
    anchor.anchor({ seq: 3, hash: H3, at: 't3' });
    await anchor.drain();
    expect(lines(join(dir, 'syslog.txt')).map((l) => parseAnchorLine(l)?.seq)).toEqual([1, 3]);
  });

  it('reports a logger that fails or is missing', async () => {
    const errors: string[] = [];
    const failing = new SyslogAnchor({ logId: '0123456789abcdef', logger: fakeLogger({ fail: true }), onError: (e) => errors.push(e.message) });
    failing.anchor({ seq: 1, hash: H1, at: 't' });
    await failing.drain();
    const missing = new SyslogAnchor({ logId: '0123456789abcdef', logger: join(dir, 'no-such-logger'), onError: (e) => errors.push(e.message) });
    missing.anchor({ seq: 1, hash: H1, at: 't' });
    await missing.drain();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/failed \(exit 1\): logger: socket \/dev\/log/);
    expect(errors[1]).toMatch(/could not run .*no-such-logger/);
  });

  it('writes the pending head synchronously as the process exits', async () => {
    const anchor = new SyslogAnchor({ logId: '0123456789abcdef', logger: fakeLogger({ delay: 0.2 }) });
    anchor.anchor({ seq: 1, hash: H1, at: 't1' }); // running
    anchor.anchor({ seq: 2, hash: H2, at: 't2' }); // pending
    anchor.flushSync();
    expect(lines(join(dir, 'syslog.txt')).map((l) => parseAnchorLine(l)?.seq)).toContain(2);
    await anchor.drain();
  });
});

describe('readAnchoredHeads', () => {
  const LOG = '0123456789abcdef';
  const OTHER = 'fedcba9876543210';

  function journal(messages: string[]): { journalctl: string; journalDirs: string[] } {
    const journalDir = join(dir, 'journal');
    mkdirSync(join(journalDir, 'machine-id'), { recursive: true });
    writeFileSync(join(journalDir, 'machine-id', 'system.journal'), '');
    writeFileSync(join(dir, 'journal.txt'), messages.map((m) => `${m}\n`).join(''));
    return { journalctl: script('journalctl', `printf '%s\\n' "$*" > ${dir}/journalctl-args.txt\ncat ${dir}/journal.txt`), journalDirs: [journalDir] };
  }

  it("gathers this log's heads from the journal (this user's entries) and syslog files, without duplicates", async () => {
    const syslog = join(dir, 'syslog');
    writeFileSync(
      syslog,
      [
        `Jan  1 00:00:00 host ${ANCHOR_TAG}[1]: ${anchorMessage({ seq: 2, hash: H2, at: '2025-01-01T00:00:02Z' }, LOG)}`,
        `Jan  1 00:00:00 host ${ANCHOR_TAG}[1]: ${anchorMessage({ seq: 3, hash: H3, at: '2025-01-01T00:00:03Z' }, LOG)}`,
        'Jan  1 00:00:00 host cron[2]: unrelated',
      ].join('\n'),
    );
    const found = await readAnchoredHeads(LOG, {
      ...journal([
        anchorMessage({ seq: 1, hash: H1, at: '2025-01-01T00:00:01Z' }, LOG),
        anchorMessage({ seq: 2, hash: H2, at: '2025-01-01T00:00:02Z' }, LOG),
        anchorMessage({ seq: 9, hash: H1, at: '2025-01-01T00:00:09Z' }, OTHER),
      ]),
      syslogFiles: [syslog, join(dir, 'absent')],
      uid: 1234,
    });
    expect(found.anchors.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(found.sources).toEqual([`the system journal (${ANCHOR_TAG}, uid 1234)`, syslog]);
    expect(readFileSync(join(dir, 'journalctl-args.txt'), 'utf8').trim()).toBe(`-t ${ANCHOR_TAG} -o cat --no-pager -q _UID=1234`);
  });

  it('fails when there is neither a journal nor a readable syslog file, or journalctl fails', async () => {
    await expect(readAnchoredHeads(LOG, { journalctl: 'journalctl', journalDirs: [join(dir, 'none')], syslogFiles: [join(dir, 'absent')] })).rejects.toThrow(AnchorSourceError);
    const { journalDirs } = journal([]);
    await expect(readAnchoredHeads(LOG, { journalctl: script('journalctl', 'echo "Failed to open journal" >&2; exit 1'), journalDirs, syslogFiles: [] })).rejects.toThrow(/failed \(exit 1\): Failed to open journal/);
  });
});
