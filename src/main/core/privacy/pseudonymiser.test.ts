import { describe, expect, it } from 'vitest';
import { CompiledVocabulary, DEFAULT_INTERNAL_DOMAINS, Pseudonymiser, Redactor } from './index';

const vocab = new CompiledVocabulary({
  hosts: ['web-1', 'db-primary', 'localhost', 'bastion.acme.example'],
  addresses: ['10.20.0.11', '10.20.0.12', 'bastion.acme.example'],
  users: ['alice', 'root', 'deploy'],
  internalDomains: [...DEFAULT_INTERNAL_DOMAINS, 'acme.example'],
});

describe('Pseudonymiser', () => {
  it('replaces inventory hosts, addresses, IPs, internal names, users and e-mails with stable pseudonyms', () => {
    const p = new Pseudonymiser();
    const out = p.pseudonymise(
      'web-1 (10.20.0.11) talks to db-primary at 10.20.0.12 and 192.168.1.7, logs to logs.corp and git.acme.example; alice <alice.b@acme.example> ran it as root on localhost 127.0.0.1',
      vocab,
    );
    for (const real of ['web-1', '10.20.0.11', 'db-primary', '10.20.0.12', '192.168.1.7', 'logs.corp', 'git.acme.example', 'alice', 'alice.b@acme.example']) expect(out).not.toContain(real);
    // Generic names and loopback identify nobody: left alone.
    expect(out).toContain('as root on localhost 127.0.0.1');
    expect(out).toMatch(/^host-1 \(ip-1\) talks to host-2 at ip-2 and ip-3, logs to domain-1 and domain-2; user-1 <email-1>/);
    // Stable within the session, in any later text, case-insensitively for host names.
    expect(p.pseudonymise('WEB-1 and 10.20.0.12 again', vocab)).toBe('host-1 and ip-2 again');
    // Another conversation numbers on its own.
    expect(new Pseudonymiser().pseudonymise('db-primary', vocab)).toBe('host-1');
    // An inventory address is a host's even on loopback (test hosts live on 127.0.1.x).
    const loop = new CompiledVocabulary({ hosts: ['t1'], addresses: ['127.0.1.2'], users: [], internalDomains: [] });
    expect(new Pseudonymiser().pseudonymise('t1 at 127.0.1.2, not 127.0.0.1', loop)).toBe('host-1 at ip-1, not 127.0.0.1');
  });

  it('maps back by exact token: host-1 never matches inside host-10', () => {
    const p = new Pseudonymiser();
    const hosts = Array.from({ length: 10 }, (_, i) => `srv${i + 1}`);
    const big = new CompiledVocabulary({ hosts, users: [], internalDomains: [] });
    expect(p.pseudonymise(hosts.join(' '), big)).toBe(hosts.map((_, i) => `host-${i + 1}`).join(' '));
    expect(p.reveal('host-10, host-1 and Host-2.').text).toBe('srv10, srv1 and srv2.');
    expect(p.reveal('host-1x host-1-b xhost-1').text).toBe('host-1x host-1-b xhost-1');
  });

  it('reports pseudonyms it never issued (invented or from another conversation) instead of guessing', () => {
    const a = new Pseudonymiser();
    const b = new Pseudonymiser();
    a.pseudonymise('web-1 db-primary', vocab);
    b.pseudonymise('web-1', vocab);
    expect(b.reveal('check host-2 and host-99 then host-1')).toEqual({ text: 'check host-2 and host-99 then web-1', unknown: ['host-2', 'host-99'] });
    const args = a.revealJson(JSON.stringify({ command: 'uptime', host: 'host-2', note: ['user-7'] }));
    expect(JSON.parse(args.text)).toEqual({ command: 'uptime', host: 'db-primary', note: ['user-7'] });
    expect(args.unknown).toEqual(['user-7']);
  });

  it('never touches redaction placeholders either way', () => {
    const r = new Redactor();
    const p = new Pseudonymiser();
    const redacted = r.redactText('password=Hunter2-Secret! on web-1');
    expect(redacted).toContain('[REDACTED:password#1]');
    const sent = p.pseudonymise(redacted, vocab);
    expect(sent).toBe(redacted.replace('web-1', 'host-1'));
    const back = p.reveal('use [REDACTED:password#1] on host-1');
    expect(back).toEqual({ text: 'use [REDACTED:password#1] on web-1', unknown: [] });
    expect(back.text).not.toContain('Hunter2');
  });

  it('keeps pseudonym-shaped text in real data unambiguous', () => {
    const p = new Pseudonymiser();
    // A log line that already says host-1 keeps its own name; the inventory host gets the next number.
    expect(p.pseudonymise('error from host-1; web-1 is fine', vocab)).toBe('error from host-1; host-2 is fine');
    expect(p.reveal('host-1 and host-2').text).toBe('host-1 and web-1');
    // A real host literally named like a pseudonym that is taken gets another one.
    const q = new Pseudonymiser();
    const named = new CompiledVocabulary({ hosts: ['host-1', 'web-1'], users: [], internalDomains: [] });
    expect(q.pseudonymise('web-1 then host-1', named)).toBe('host-1 then host-2');
    expect(q.reveal('host-1 then host-2').text).toBe('web-1 then host-1');
  });

  it('learns people from passwd lines and /home paths, not system accounts', () => {
    const p = new Pseudonymiser();
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbob:x:1001:1001:Bob,,,:/home/bob:/bin/bash\n';
    const out = p.pseudonymise(passwd, vocab);
    expect(out).toContain('root:x:0:0:root:/root:/bin/bash');
    expect(out).toContain('www-data:x:33:33');
    expect(out).not.toContain('bob');
    expect(p.pseudonymise('ls /home/carol/.ssh and ask bob', vocab)).toBe('ls /home/user-2/.ssh and ask user-1');
    expect(p.reveal('sudo -u user-1 ls /home/user-2').text).toBe('sudo -u bob ls /home/carol');
  });

  it('handles IPv6 without mistaking times or MAC addresses', () => {
    const p = new Pseudonymiser();
    expect(p.pseudonymise('inet6 fe80::1c2:3ff:fe4d:5e6f/64 and 2001:db8::42 at 12:30:45 via aa:bb:cc:dd:ee:ff, ::1', vocab)).toBe('inet6 ip-1/64 and ip-2 at 12:30:45 via aa:bb:cc:dd:ee:ff, ::1');
  });

  it('reveals a stream split anywhere, holding back partial tokens', () => {
    const p = new Pseudonymiser();
    const many = new CompiledVocabulary({ hosts: Array.from({ length: 12 }, (_, i) => `node${i + 1}`), users: [], internalDomains: [] });
    p.pseudonymise(Array.from({ length: 12 }, (_, i) => `node${i + 1}`).join(' '), many);
    const text = 'Restart host-1 then host-10, keep [REDACTED:password#1] and host-12.';
    for (const size of [1, 2, 3, 5, 7]) {
      let shown = '';
      const stream = p.revealStream((t) => (shown += t));
      for (let i = 0; i < text.length; i += size) stream.push(text.slice(i, i + size));
      stream.flush();
      expect(shown).toBe('Restart node1 then node10, keep [REDACTED:password#1] and node12.');
    }
  });

  it('keeps up with long tool output (thousands of addresses and names)', () => {
    const p = new Pseudonymiser();
    const lines = Array.from({ length: 4000 }, (_, i) => `tcp ESTAB 10.${i % 250}.${(i >> 3) % 250}.${i % 200} web-1 alice ${i % 7 === 0 ? 'db-primary' : 'x'} port ${i}`);
    // Its speed is a benchmark matter; here the outcome: every name and address replaced, all mapped back.
    const out = p.pseudonymise(lines.join('\n'), vocab);
    expect(out).not.toMatch(/web-1|alice|10\.\d+\.\d+\.\d+/);
    expect(p.reveal(out).text).toBe(lines.join('\n'));
  });
});
