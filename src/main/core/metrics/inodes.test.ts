// Inode use per real mount (issue 19: inode exhaustion forecasts): from the collector's
// `df -P -T -i` section and from node_exporter's node_filesystem_files/_files_free.
import { describe, expect, it } from 'vitest';
import { DEFAULT_DERIVE_OPTIONS, deriveSample } from './derive';
import { parseCollectorOutput, parseDfInodes } from './parse';
import { parseExposition, rawSampleFromNodeExporter } from './prometheus';
import { COLLECTOR_SCRIPT } from './script';
import { collectorOutput, syntheticHost } from './testing/synthetic-proc';

const INODES = [
  '@fm1 df-inodes',
  'Filesystem     Type    Inodes  IUsed   IFree IUse% Mounted on',
  '/dev/sda1      ext4   6000000 4500000 1500000   75% /',
  'tmpfs          tmpfs   250000       1  249999    1% /run',
  '/dev/sdb1      btrfs        0       0       0     - /data',
].join('\n');
const DF = [
  'Filesystem     Type  1-blocks        Used   Available Capacity Mounted on',
  '/dev/sda1      ext4  100000000000 40000000000 55000000000      43% /',
  '/dev/sdb1      btrfs 100000000000 10000000000 90000000000      10% /data',
].join('\n');

describe('inode use', () => {
  it('the collector script reads it read-only in its own section', () => {
    expect(COLLECTOR_SCRIPT).toContain('@fm1 df-inodes');
    expect(COLLECTOR_SCRIPT).toContain('df -P -T -i');
  });

  it('parses df -i and derives disk_inodes_used_ratio per real mount; no inode table, no series', () => {
    expect(parseDfInodes(INODES.split('\n'))[0]).toEqual({ source: '/dev/sda1', mount: '/', inodes: 6_000_000, used: 4_500_000, free: 1_500_000 });
    const out = collectorOutput(syntheticHost(), { df: DF }).replace('@fm1 procs', `${INODES}\n@fm1 procs`);
    const raw = parseCollectorOutput(out);
    expect(raw.filesystems?.find((f) => f.mount === '/')).toMatchObject({ inodes: 6_000_000, inodesUsed: 4_500_000 });
    const { values } = deriveSample(null, raw, DEFAULT_DERIVE_OPTIONS);
    const inodes = values.filter((v) => v.name === 'disk_inodes_used_ratio');
    expect(inodes).toEqual([{ name: 'disk_inodes_used_ratio', labels: { mount: '/' }, value: 0.75 }]);
  });

  it('an older collector output without the section still parses (no inode series)', () => {
    const raw = parseCollectorOutput(collectorOutput(syntheticHost(), { df: DF }));
    expect(deriveSample(null, raw, DEFAULT_DERIVE_OPTIONS).values.some((v) => v.name === 'disk_inodes_used_ratio')).toBe(false);
  });

  it('maps node_exporter files/files_free onto the same series', () => {
    const text = [
      'node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 1000',
      'node_filesystem_free_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 300',
      'node_filesystem_avail_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 200',
      'node_filesystem_files{device="/dev/vda",fstype="ext4",mountpoint="/"} 1000',
      'node_filesystem_files_free{device="/dev/vda",fstype="ext4",mountpoint="/"} 100',
      'node_filesystem_size_bytes{device="/dev/vdb",fstype="btrfs",mountpoint="/data"} 1000',
      'node_filesystem_free_bytes{device="/dev/vdb",fstype="btrfs",mountpoint="/data"} 300',
      'node_filesystem_avail_bytes{device="/dev/vdb",fstype="btrfs",mountpoint="/data"} 200',
      'node_filesystem_files{device="/dev/vdb",fstype="btrfs",mountpoint="/data"} 0',
      'node_filesystem_files_free{device="/dev/vdb",fstype="btrfs",mountpoint="/data"} 0',
    ].join('\n');
    const raw = rawSampleFromNodeExporter(parseExposition(text).samples);
    const { values } = deriveSample(null, raw, DEFAULT_DERIVE_OPTIONS);
    expect(values.filter((v) => v.name === 'disk_inodes_used_ratio')).toEqual([{ name: 'disk_inodes_used_ratio', labels: { mount: '/' }, value: 0.9 }]);
  });
});
