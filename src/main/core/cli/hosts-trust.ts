import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Host } from '../../../shared/protocol';
import { escapeControls } from '../../../shared/text/escape-controls';
import { Core } from '../compose';
import { cliName } from '../config';
import {
  FleetHosts,
  HostConnectionError,
  HostKeyConfirmationError,
  hostKeysFor,
  mapBounded,
  readKnownHostsChecked,
  SelectorError,
  type FoundHostKey,
  type HostKeyScan,
} from '../fleet';
import { CliFailure, EXIT, UsageError } from './exit';

export interface TrustFlags {
  knownHosts?: string;
  yes?: boolean;
  fingerprint?: string;
}

/** Host names, fingerprints and files may come from an imported file: control characters are shown as escapes. */
const line = (text: string) => escapeControls(text);

/** Scans and confirmations at once (each is one short handshake). */
const PARALLEL = 32;

function printScan(scan: HostKeyScan, note: string): void {
  const status = scan.status === 'trusted' ? 'already trusted' : scan.status === 'unknown' ? 'not known yet' : scan.status === 'revoked' ? 'REVOKED' : 'CHANGED';
  process.stdout.write(`${line(scan.host)} (${line(scan.endpoint)}) presents ${line(scan.keyType)} ${scan.fingerprint}: ${status}${note ? `; ${note}` : ''}\n`);
  if (scan.status === 'mismatch') {
    process.stderr.write(
      `\nWARNING: THE HOST KEY OF ${line(scan.host)} HAS CHANGED.\n  now:      ${line(scan.keyType)} ${scan.fingerprint}\n${scan.expected
        .map((e) => `  expected: ${line(e.keyType)} ${e.fingerprint} (${line(e.source)})`)
        .join('\n')}\nSomeone could be intercepting the connection, or the host was reinstalled. Confirm only if you know why it changed.\n\n`,
    );
  }
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function failureText(err: unknown): string {
  if (err instanceof HostConnectionError) return `${err.code}: ${err.message}`;
  return (err as Error).message ?? String(err);
}

/**
 * `fleetmind hosts trust SELECTOR`: scans every selected host's key in parallel, shows
 * the list, and records the keys after one confirmation: the inline prompt on a
 * terminal; without one, `--known-hosts FILE --yes` (each key must be the file's entry
 * for that host) or, for a single host, `--fingerprint`. Each key is fetched again when
 * recorded and kept only if it is exactly the one shown.
 */
export async function trustCommand(selector: string, flags: TrustFlags): Promise<void> {
  const cli = cliName();
  if (flags.yes && !flags.knownHosts) throw new UsageError('--yes needs --known-hosts FILE: without a prompt, each key is checked against that file instead');
  if (flags.fingerprint && flags.knownHosts) throw new UsageError('give --fingerprint (one host) or --known-hosts FILE, not both');
  let fileKeys: ((endpoint: string) => FoundHostKey[]) | null = null;
  let fileName = '';
  if (flags.knownHosts) {
    const checked = readKnownHostsChecked(resolve(flags.knownHosts));
    fileName = checked.path;
    if (checked.status === 'missing') throw new UsageError(`cannot read ${line(flags.knownHosts)}: no such file`);
    if (checked.status === 'refused') throw new CliFailure(`${line(checked.path)} is not used: ${checked.reason}; nothing was recorded`);
    fileKeys = (endpoint) => hostKeysFor(checked.entries, endpoint);
  }

  const core = new Core();
  try {
    let selected: Host[];
    try {
      selected = core.inventory.select(selector);
    } catch (err) {
      if (err instanceof SelectorError) throw new UsageError(err.message);
      throw err;
    }
    const hosts = selected.filter((h) => h.transport === 'ssh');
    const local = selected.filter((h) => h.transport !== 'ssh');
    if (hosts.length === 0) throw new UsageError(`${line(selector)} selects only this machine, which has no SSH host key to confirm`);
    if (local.length) process.stderr.write(`${local.map((h) => line(h.name)).join(', ')}: this machine, no SSH host key; skipped\n`);
    if (flags.fingerprint && hosts.length !== 1) {
      throw new UsageError(`--fingerprint confirms one host; "${line(selector)}" selects ${hosts.length}. For several, confirm at the prompt, or give --known-hosts FILE --yes`);
    }
    if (hosts.length > 1) process.stderr.write(`scanning ${hosts.length} hosts…\n`);

    const service = new FleetHosts(core.fleet);
    const scans = await mapBounded(hosts, PARALLEL, async (host) => {
      try {
        return { host, scan: await core.fleet.scanHostKey(host) };
      } catch (err) {
        return { host, error: err };
      }
    });

    let failures = 0;
    const toRecord: HostKeyScan[] = [];
    for (const r of scans) {
      if (!('scan' in r) || !r.scan) {
        failures++;
        process.stderr.write(`${line(r.host.name)}: ${escapeControls(failureText(r.error), { multiline: true })}\n`);
        continue;
      }
      const scan = r.scan;
      let note = '';
      let eligible = scan.status === 'unknown' || scan.status === 'mismatch';
      if (fileKeys && scan.status !== 'trusted') {
        const listed = fileKeys(scan.endpoint);
        const match = listed.find((k) => k.fingerprint === scan.fingerprint);
        if (match) note = `matches ${line(match.source)}`;
        else {
          eligible = false;
          failures++;
          note = listed.length
            ? `NOT the key ${line(fileName)} lists (${listed.map((k) => `${line(k.keyType)} ${k.fingerprint}`).join(', ')}); not recorded`
            : `${line(fileName)} has no entry for ${line(scan.endpoint)}; not recorded`;
        }
      }
      if (scan.status === 'revoked') {
        failures++;
        note = 'marked @revoked in a known_hosts file; not recorded';
      }
      printScan(scan, note);
      if (eligible) toRecord.push(scan);
    }

    if (toRecord.length > 0) {
      let confirmed = false;
      if (flags.fingerprint) confirmed = true; // the key is recorded only if it is exactly this fingerprint
      else if (flags.yes) confirmed = true; // each key matched --known-hosts above
      else if (process.stdin.isTTY) {
        const changed = toRecord.filter((s) => s.status === 'mismatch').length;
        confirmed = await confirmOnTerminal(
          `Trust ${toRecord.length === 1 ? `this key for ${line(toRecord[0]!.host)}` : `these ${toRecord.length} keys`}${changed ? ` (${changed} CHANGED)` : ''}? [y/N] `,
        );
        if (!confirmed) throw new CliFailure('not recorded');
      } else if (toRecord.length === 1 && !fileKeys) {
        const s = toRecord[0]!;
        throw new CliFailure(`not recorded. After checking the fingerprint, run: ${cli} hosts trust ${line(s.host)} --fingerprint ${s.fingerprint}`);
      } else {
        throw new CliFailure(
          `not recorded: without a terminal, give --yes${fileKeys ? '' : ' with --known-hosts FILE (each key must match its entry)'}, e.g. ${cli} hosts trust ${line(selector)} --known-hosts ${fileKeys ? line(fileName) : 'FILE'} --yes`,
        );
      }
      if (confirmed) {
        const recorded = await mapBounded(toRecord, PARALLEL, async (scan) => {
          try {
            return { scan, result: await service.trust(scan.host, flags.fingerprint ?? scan.fingerprint, 'cli:hosts trust') };
          } catch (err) {
            return { scan, error: err };
          }
        });
        for (const r of recorded) {
          if (!('result' in r) || !r.result) {
            failures++;
            const text = r.error instanceof HostKeyConfirmationError ? r.error.message : failureText(r.error);
            process.stderr.write(`${line(r.scan.host)}: ${escapeControls(text, { multiline: true })}\n`);
            continue;
          }
          const { scan, replaced } = r.result;
          if (replaced.length) process.stderr.write(`${line(scan.host)}: replaced the previously trusted key(s) ${replaced.join(', ')}\n`);
          process.stdout.write(`trusted ${line(scan.keyType)} ${scan.fingerprint} for ${line(scan.host)} (${line(scan.endpoint)})\n`);
        }
      }
    }
    if (failures > 0) {
      process.stderr.write(`${failures} of ${hosts.length} host${hosts.length === 1 ? '' : 's'} not trusted\n`);
      process.exitCode = EXIT.failure;
    }
  } finally {
    await core.close();
  }
}
