import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandHostPattern, parseAnsibleInventory } from './ansible';
import { parseSshConfig } from './ssh-config';

const home = mkdtempSync(join(tmpdir(), 'fm-import-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('parseSshConfig', () => {
  it('turns concrete Host names into hosts and applies wildcard blocks as defaults (first value wins)', () => {
    const { hosts, warnings } = parseSshConfig(
      `
# global
User fallback

Host web-1 web-2
  HostName %h.example.com
  Port 2222

Host db1
  HostName=10.0.0.7
  User postgres
  IdentityFile ~/.ssh/db_key
  IdentityFile ~/.ssh/second
  ProxyJump ops@bastion:2200

Host bastion
  HostName 203.0.113.1

Host web-*
  User deploy
  IdentityFile "%d/.ssh/web key"

Host * !bastion
  Port 22
  ProxyCommand nc %h %p
`,
      { home },
    );
    expect(hosts.map((h) => h.name)).toEqual(['web-1', 'web-2', 'db1', 'bastion']);
    const web1 = hosts[0]!;
    // "User fallback" before any Host applies to every host and, being first, wins.
    expect(web1).toMatchObject({ address: 'web-1.example.com', port: 2222, user: 'fallback', identityFile: join(home, '.ssh', 'web key'), jump: null });
    expect(hosts[2]).toMatchObject({ name: 'db1', address: '10.0.0.7', port: 22, user: 'fallback', identityFile: join(home, '.ssh', 'db_key'), jump: 'ops@bastion:2200' });
    expect(hosts[3]).toMatchObject({ name: 'bastion', address: '203.0.113.1', port: 22 });
    expect(warnings.some((w) => /ProxyCommand/.test(w))).toBe(true);
  });

  it('follows Include, skips Match blocks and multi-hop jumps keep the last hop', () => {
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'conf.d', 'a.conf'), 'Host inc1\n  HostName 10.1.1.1\n  ProxyJump j1,j2\n');
    const { hosts, warnings } = parseSshConfig('Include conf.d/*.conf\nMatch host x\n  User nobody\nHost plain\n  User u\n', { home });
    expect(hosts.map((h) => [h.name, h.address, h.jump, h.user])).toEqual([
      ['inc1', '10.1.1.1', 'j2', null],
      ['plain', 'plain', null, 'u'],
    ]);
    expect(warnings.join('\n')).toMatch(/Match blocks are not supported/);
    expect(warnings.join('\n')).toMatch(/multi-hop ProxyJump j1,j2/);
  });

  it('reads the fixture-style config (Host blocks + Host * client defaults)', () => {
    const { hosts } = parseSshConfig('Host fm-host-01\n  HostName 127.0.0.1\n  Port 2201\n  User root\n  IdentityFile /tmp/k\n\nHost *\n  IdentitiesOnly yes\n  UserKnownHostsFile /tmp/kh\n');
    expect(hosts).toEqual([{ name: 'fm-host-01', address: '127.0.0.1', port: 2201, user: 'root', identityFile: '/tmp/k', tags: [], jump: null, privacy: 'default' }]);
  });
});

describe('parseAnsibleInventory', () => {
  it('expands host ranges', () => {
    expect(expandHostPattern('web[01:03].x')).toEqual(['web01.x', 'web02.x', 'web03.x']);
    expect(expandHostPattern('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostPattern('n[0:10:5]')).toEqual(['n0', 'n5', 'n10']);
    expect(expandHostPattern('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  });

  it('reads INI: groups become tags (with parents via :children), vars honoured by precedence', () => {
    const { hosts, warnings } = parseAnsibleInventory(`
loose.example.com ansible_port=2200

[web]
web[1:2] ansible_host=10.0.0.1
web3 ansible_host=10.0.0.3 ansible_user=override

[db]
db1 ansible_ssh_host=10.0.1.1 ansible_ssh_port=5432 ansible_ssh_common_args='-o ProxyJump=bastion'
badwolf.example.com:5309

[prod:children]
web
db

[web:vars]
ansible_user=deploy

[prod:vars]
ansible_user=produser
ansible_ssh_private_key_file=/keys/prod

[all:vars]
ansible_user=everyone
`);
    expect(warnings).toEqual([]);
    const by = Object.fromEntries(hosts.map((h) => [h.name, h]));
    expect(by['loose.example.com']).toMatchObject({ address: 'loose.example.com', port: 2200, user: 'everyone', tags: [] });
    expect(by.web1).toMatchObject({ address: '10.0.0.1', user: 'deploy', identityFile: '/keys/prod', tags: ['prod', 'web'] });
    expect(by.web3).toMatchObject({ address: '10.0.0.3', user: 'override' });
    expect(by.db1).toMatchObject({ address: '10.0.1.1', port: 5432, user: 'produser', jump: 'bastion', tags: ['db', 'prod'] });
    expect(by['badwolf.example.com']).toMatchObject({ port: 5309 });
  });

  it('reads YAML with nested children and vars', () => {
    const { hosts } = parseAnsibleInventory(`
all:
  hosts:
    mail.example.com:
  vars:
    ansible_user: admin
  children:
    webservers:
      hosts:
        foo.example.com:
          ansible_host: 192.0.2.50
          ansible_port: 2222
      vars:
        ansible_ssh_common_args: "-J jump.example.com"
    europe:
      children:
        paris:
          hosts:
            par1:
              ansible_user: fr
`);
    const by = Object.fromEntries(hosts.map((h) => [h.name, h]));
    expect(by['mail.example.com']).toMatchObject({ user: 'admin', tags: [] });
    expect(by['foo.example.com']).toMatchObject({ address: '192.0.2.50', port: 2222, user: 'admin', jump: 'jump.example.com', tags: ['webservers'] });
    expect(by.par1).toMatchObject({ user: 'fr', tags: ['europe', 'paris'] });
  });

  it('reads the fixture-style inventory (group vars with key file and quoted common args)', () => {
    const { hosts } = parseAnsibleInventory(
      "[sshd_fixture]\nfm-host-01 ansible_host=127.0.0.1 ansible_port=2201 ansible_user=root\n\n[sshd_fixture:vars]\nansible_ssh_private_key_file=/tmp/k\nansible_ssh_common_args='-o UserKnownHostsFile=/tmp/kh -o StrictHostKeyChecking=yes'\n",
    );
    expect(hosts).toEqual([{ name: 'fm-host-01', address: '127.0.0.1', port: 2201, user: 'root', identityFile: '/tmp/k', tags: ['sshd_fixture'], jump: null, privacy: 'default' }]);
  });

  it('rejects broken YAML with a message', () => {
    expect(() => parseAnsibleInventory('all:\n  hosts: [\n', { format: 'yaml' })).toThrow(/YAML/);
  });
});
