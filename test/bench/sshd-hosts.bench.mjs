// sshd-hosts fixture benchmark: the figures its scale test used to assert or print,
// measured here instead of in a test on a shared machine.
//   start 50 real sshd hosts in parallel (startSshdHosts, until every one answers)  target < 20 s
//   50 parallel ssh2 connections running `hostname`, one per host
//   stopAll() (every sshd and session gone, directory removed)
// The fixture is TypeScript; it is loaded through Vite's module runner, as its CLI does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import { printTable, root, writeResults } from './lib.mjs';

const COUNT = 50;
const TARGET_START_MS = 20_000;

function hostname(fixture, fleet, host) {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn.on('error', reject);
    conn.on('ready', () => {
      conn.exec('hostname', (err, stream) => {
        if (err) return reject(err);
        let out = '';
        stream.on('data', (d) => (out += d));
        stream.stderr.on('data', () => undefined);
        stream.on('close', () => {
          conn.end();
          resolve(out.trim());
        });
      });
    });
    conn.connect({
      host: host.address,
      port: host.port,
      username: host.user,
      privateKey: readFileSync(fleet.clientKeyPath),
      readyTimeout: 30_000,
      hostVerifier: (key) => fixture.sshFingerprint(key) === host.hostKeyFingerprint,
    });
  });
}

export async function run() {
  const { runnerImport } = await import('vite');
  const { module: fixture } = await runnerImport(join(root, 'test', 'fixtures', 'sshd-hosts', 'index.ts'), { configFile: false, logLevel: 'silent' });

  let t = performance.now();
  const fleet = await fixture.startSshdHosts({ count: COUNT, namePrefix: 'fmbench' });
  const startMs = performance.now() - t;
  try {
    t = performance.now();
    const names = await Promise.all(fleet.hosts.map((h) => hostname(fixture, fleet, h)));
    const fanoutMs = performance.now() - t;
    if (names.length !== COUNT) throw new Error(`only ${names.length} of ${COUNT} hosts answered`);
    t = performance.now();
    await fleet.stopAll();
    const stopMs = performance.now() - t;

    const rows = [
      { metric: `start ${COUNT} hosts in parallel (isolation ${fleet.isolation})`, value: startMs, unit: 'ms', target: TARGET_START_MS },
      { metric: `${COUNT} parallel ssh2 connections running hostname`, value: fanoutMs, unit: 'ms', target: null },
      { metric: `stopAll() of ${COUNT} hosts`, value: stopMs, unit: 'ms', target: null },
    ];
    printTable('sshd-hosts', rows);
    writeResults('sshd-hosts', { rows, isolation: fleet.isolation });
    return rows.every((r) => r.target === null || r.value <= r.target);
  } finally {
    await fleet.stopAll();
  }
}
