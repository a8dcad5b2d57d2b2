import { describe, expect, it } from 'vitest';
import { isRealFilesystem, parseDf, parseProcNet, parsePs, parseSs, parseSystemctlUnits } from './commands';
import { countCpus, parseLoadavg, parseMeminfo, parseOsRelease, parseUptimeSeconds } from './proc';

describe('proc parsers', () => {
  it('parses loadavg, uptime and cpuinfo', () => {
    expect(parseLoadavg('0.52 0.58 0.59 2/1024 12345\n')).toEqual({ one: 0.52, five: 0.58, fifteen: 0.59, running: 2, total: 1024 });
    expect(parseLoadavg('garbage')).toBeNull();
    expect(parseUptimeSeconds('3600.25 7000.00\n')).toBe(3600.25);
    expect(countCpus('processor\t: 0\nmodel name : x\n\nprocessor\t: 1\n')).toBe(2);
    expect(countCpus('')).toBe(1);
  });

  it('computes used memory as total - available, like procps 4', () => {
    const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 50 kB\nCached: 200 kB\nSReclaimable: 20 kB\nSwapTotal: 500 kB\nSwapFree: 400 kB\n');
    expect(m).toMatchObject({ totalBytes: 1024000, usedBytes: 400 * 1024, availableBytes: 600 * 1024, cachedBytes: 220 * 1024, swapUsedBytes: 100 * 1024 });
  });

  it('estimates available memory on old kernels without MemAvailable', () => {
    const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n');
    expect(m?.availableBytes).toBe(350 * 1024);
  });

  it('reads the pretty OS name', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(parseOsRelease(null)).toBeNull();
  });
});

describe('command parsers', () => {
  it('parses df -P -T -B1, mount points with spaces included', () => {
    const fs = parseDf(
      'Filesystem Type 1-blocks Used Available Capacity Mounted on\n' +
        '/dev/vda ext4 270553174016 24265666560 84678627328 23% /\n' +
        'tmpfs tmpfs 4096 0 4096 0% /run/user/0\n' +
        '/dev/sdb1 xfs 1000 900 100 90% /mnt/my data\n',
    );
    expect(fs).toHaveLength(3);
    expect(fs[2]).toMatchObject({ mount: '/mnt/my data', usedPercent: 90, type: 'xfs' });
    expect(fs.filter(isRealFilesystem).map((f) => f.mount)).toEqual(['/', '/mnt/my data']);
  });

  it('keeps a container root overlay but no other overlay', () => {
    expect(isRealFilesystem({ type: 'overlay', mount: '/', sizeBytes: 10 })).toBe(true);
    expect(isRealFilesystem({ type: 'overlay', mount: '/var/lib/docker/x', sizeBytes: 10 })).toBe(false);
    expect(isRealFilesystem({ type: 'squashfs', mount: '/snap/core/1', sizeBytes: 10 })).toBe(false);
  });

  it('parses ps rows with spaces in arguments', () => {
    const rows = parsePs('    1 root      0.3  0.1 11384 systemd  /sbin/init splash\n  812 www-data 12.5  3.2 204800 nginx nginx: worker process\n');
    expect(rows[1]).toEqual({ pid: 812, user: 'www-data', cpuPercent: 12.5, memPercent: 3.2, rssBytes: 204800 * 1024, command: 'nginx', args: 'nginx: worker process' });
  });

  it('parses ss listeners with and without process names', () => {
    const sockets = parseSs(
      'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=700,fd=3))\n' +
        'tcp LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=700,fd=4))\n' +
        'udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:*\n',
    );
    expect(sockets).toEqual([
      { protocol: 'tcp', address: '0.0.0.0', port: 22, process: 'sshd' },
      { protocol: 'tcp', address: '[::]', port: 22, process: 'sshd' },
      { protocol: 'udp', address: '127.0.0.53%lo', port: 53, process: null },
    ]);
  });

  it('falls back to /proc/net/tcp when ss is missing', () => {
    const text =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n' +
      '   1: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n';
    expect(parseProcNet('tcp', text)).toEqual([{ protocol: 'tcp', address: '0.0.0.0', port: 2024, process: null }]);
    const v6 = '  sl  local_address remote st\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0\n';
    expect(parseProcNet('tcp6', v6)).toEqual([{ protocol: 'tcp', address: '[::]', port: 22, process: null }]);
  });

  it('parses systemctl unit rows', () => {
    expect(parseSystemctlUnits('nginx.service loaded failed failed A high performance web server\n')).toEqual([
      { unit: 'nginx.service', load: 'loaded', active: 'failed', sub: 'failed', description: 'A high performance web server' },
    ]);
  });
});
