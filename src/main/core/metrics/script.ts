import { createHash } from 'node:crypto';

/**
 * The one fixed, read-only script the collector runs on every host each interval. It goes
 * through the safety gate like every command (the default policy allows it as read-only;
 * collector-policy.test.ts keeps it that way) and prints sections the parser reads back:
 *
 * - `@fm1 self PID`: the shell's PID, so Fleetmind's own probe processes can be marked;
 * - `/proc/FILE:line` for each kernel file (one `grep -H` for all of them: one process,
 *   and a file the kernel lacks, such as /proc/pressure/* before 4.20, is simply absent);
 * - `@fm1 df`: usage of every mounted file system (`timeout` so a hung network mount
 *   costs this section, not the run);
 * - `@fm1 df-inodes`: inode use of the same file systems (inode exhaustion fills a disk
 *   that still has free bytes; file systems without fixed inodes, btrfs, report 0);
 * - `@fm1 procs`: /proc/PID/stat of every process (no shell glob: `find` lists them, so
 *   the text judged is the text that runs);
 * - `@fm1 units`: failed systemd units, then `@fm1 units-exit N` (127: no systemctl);
 * - `@fm1 end`: everything arrived.
 *
 * Filtering (which mounts, interfaces, devices) happens in Fleetmind, so the script never
 * varies with configuration: one definition, judged and audited once per policy version.
 */
export const COLLECTOR_FILES = [
  '/proc/uptime',
  '/proc/stat',
  '/proc/meminfo',
  '/proc/loadavg',
  '/proc/pressure/cpu',
  '/proc/pressure/io',
  '/proc/pressure/memory',
  '/proc/net/dev',
  '/proc/diskstats',
  // swap-ins/outs and major faults (pswpin, pswpout, pgmajfault): measured swap activity
  '/proc/vmstat',
] as const;

export type CollectorFile = (typeof COLLECTOR_FILES)[number];

export const MARK = '@fm1';

export const COLLECTOR_SCRIPT = [
  `echo "${MARK} self $$"`,
  `grep -s -H '' ${COLLECTOR_FILES.join(' ')}`,
  `echo "${MARK} df"`,
  'timeout 5 df -P -T -B1 2>/dev/null',
  `echo "${MARK} df-inodes"`,
  'timeout 5 df -P -T -i 2>/dev/null',
  `echo "${MARK} procs"`,
  "find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/stat' -exec cat {} + 2>/dev/null",
  `echo "${MARK} units"`,
  'systemctl list-units --state=failed --no-legend --plain --no-pager 2>/dev/null',
  `echo "${MARK} units-exit $?"`,
  `echo "${MARK} end"`,
].join('\n');

export const COLLECTOR_SCRIPT_SHA256 = createHash('sha256').update(COLLECTOR_SCRIPT).digest('hex');
