import { describe, expect, it } from 'vitest';
import { addressBytes, findPeer, isLoopback, lookupPeer, parseProcNetTcp, type SocketTuple } from './peer-credentials';

// Rows captured from a little-endian Linux machine (kernel 6.x), trailing columns as printed.
const HEADER4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const HEADER6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

// Server 127.0.0.1:8000 (uid 1000) and its client 127.0.0.1:51000 (uid 1001), one closing client
// 127.0.0.1:51001 (FIN_WAIT2 of a live process), an orphan 127.0.0.1:51002 (inode 0 and uid 0 after
// the client process sent and closed), and a TIME_WAIT row 127.0.0.1:51003.
const TCP = [
  HEADER4,
  '   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1092 1 00000000e78ca3be 100 0 0 10 0',
  '   1: 0100007F:1F40 0100007F:C738 01 00000000:00000000 00:00000000 00000000  1000        0 164186 1 00000000e67bcabc 20 0 0 10 -1',
  '   2: 0100007F:C738 0100007F:1F40 01 00000000:00000000 00:00000000 00000000  1001        0 164185 2 0000000097623e85 20 0 0 10 -1',
  '   3: 0100007F:C739 0100007F:1F40 05 00000000:00000000 00:00000000 00000000  1001        0 164191 2 0000000097623e85 20 0 0 10 -1',
  '   4: 0100007F:C73A 0100007F:1F40 05 00000000:00000000 03:00001755 00000000     0        0 0 3 0000000078d185b9',
  '   5: 0100007F:C73B 0100007F:1F40 06 00000000:00000000 03:0000138D 00000000     0        0 0 3 00000000e6a763c3',
  '',
].join('\n');

// ::1 server port 0x8DB3 (uid 1000), client port 0xAB7E (uid 1001); an IPv4-mapped pair on port 0x8D84.
const TCP6 = [
  HEADER6,
  '   0: 00000000000000000000000001000000:8DB3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 164184 1 000000008a3ea9d7 100 0 0 10 0',
  '   1: 00000000000000000000000001000000:8DB3 00000000000000000000000001000000:AB7E 01 00000000:00000000 00:00000000 00000000  1000        0 164186 1 00000000e67bcabc 20 0 0 10 -1',
  '   2: 00000000000000000000000001000000:AB7E 00000000000000000000000001000000:8DB3 01 00000000:00000000 00:00000000 00000000  1001        0 164185 2 0000000097623e85 20 0 0 10 -1',
  '   3: 0000000000000000FFFF00000100007F:8D84 0000000000000000FFFF00000100007F:83FD 01 00000000:00000000 00:00000000 00000000  1000        0 164190 1 00000000e67bcabc 20 0 0 10 -1',
  '',
].join('\n');

// The IPv4 client of that IPv6 socket is an AF_INET socket: its row is in /proc/net/tcp.
const TCP_MAPPED_CLIENT = [HEADER4, '  30: 0100007F:83FD 0100007F:8D84 01 00000000:00000000 00:00000000 00000000  1002        0 164189 2 0000000051180ff9 20 0 0 10 -1', ''].join('\n');

const v4 = (remotePort: number): SocketTuple => ({ localAddress: '127.0.0.1', localPort: 8000, remoteAddress: '127.0.0.1', remotePort });

describe('addressBytes', () => {
  it('maps IPv4 into IPv6 and reads every IPv6 spelling', () => {
    expect(addressBytes('127.0.0.1')!.toString('hex')).toBe('00000000000000000000ffff7f000001');
    expect(addressBytes('::ffff:127.0.0.1')!.equals(addressBytes('127.0.0.1')!)).toBe(true);
    expect(addressBytes('::ffff:7f00:1')!.equals(addressBytes('127.0.0.1')!)).toBe(true);
    expect(addressBytes('::1')!.toString('hex')).toBe('00000000000000000000000000000001');
    expect(addressBytes('[::1]')!.toString('hex')).toBe('00000000000000000000000000000001');
    expect(addressBytes('fe80::1%eth0')!.toString('hex')).toBe('fe800000000000000000000000000001');
    expect(addressBytes('2001:db8:0:0:0:0:0:2')!.equals(addressBytes('2001:db8::2')!)).toBe(true);
    expect(addressBytes('not an address')).toBeNull();
  });

  it('knows loopback clients', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.3.2.1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('::2')).toBe(false);
  });
});

describe('parseProcNetTcp', () => {
  it('reads addresses as host-order 32-bit words, ports as big-endian hex, uid, inode and state', () => {
    const rows = parseProcNetTcp(TCP, 'LE');
    expect(rows).toHaveLength(6);
    expect(rows[2]).toMatchObject({ localPort: 51000, remotePort: 8000, state: 1, uid: 1001, inode: 164185 });
    expect(rows[2]!.local.equals(addressBytes('127.0.0.1')!)).toBe(true);
    const six = parseProcNetTcp(TCP6, 'LE');
    expect(six[2]!.local.equals(addressBytes('::1')!)).toBe(true);
    expect(six[3]!.local.equals(addressBytes('::ffff:127.0.0.1')!)).toBe(true);
  });

  it('reads the words the other way round on a big-endian kernel', () => {
    const be = TCP.replaceAll('0100007F', '7F000001');
    expect(parseProcNetTcp(be, 'BE')[2]!.local.equals(addressBytes('127.0.0.1')!)).toBe(true);
    // The same text read with the wrong byte order is another address, which then matches nothing.
    expect(findPeer(parseProcNetTcp(be, 'LE'), v4(51000))).toEqual({ uid: null, reason: 'not_found' });
  });

  it('skips the header and malformed lines', () => {
    expect(parseProcNetTcp(`${HEADER4}\ngarbage\n   7: XYZ:1 0:0 01\n`, 'LE')).toEqual([]);
  });
});

describe('findPeer', () => {
  const rows = parseProcNetTcp(TCP, 'LE');

  it("finds the client's uid on the full 4-tuple", () => {
    expect(findPeer(rows, v4(51000))).toEqual({ uid: 1001 });
  });

  it("never takes the server's own end of the connection (same addresses, the other way round)", () => {
    // Only row 1 (the server's accepted socket, uid 1000) would match if direction were ignored.
    const serverSideOnly = parseProcNetTcp([HEADER4, TCP.split('\n')[2]!].join('\n'), 'LE');
    expect(findPeer(serverSideOnly, v4(51000))).toEqual({ uid: null, reason: 'not_found' });
  });

  it('refuses an orphaned socket (inode 0, shown as uid 0) and a closing one', () => {
    expect(findPeer(rows, v4(51002))).toEqual({ uid: null, reason: 'orphaned' });
    expect(findPeer(rows, v4(51003))).toEqual({ uid: null, reason: 'orphaned' });
    expect(findPeer(rows, v4(51001))).toEqual({ uid: null, reason: 'closing' });
  });

  it('takes the live row when an old TIME_WAIT row has the same 4-tuple', () => {
    const reused = `${TCP}   9: 0100007F:C73B 0100007F:1F40 01 00000000:00000000 00:00000000 00000000  1005        0 170000 2 0 20 0 0 10 -1\n`;
    expect(findPeer(parseProcNetTcp(reused, 'LE'), v4(51003))).toEqual({ uid: 1005 });
  });

  it('fails closed on an unknown connection, a wrong port or an unreadable tuple', () => {
    expect(findPeer(rows, v4(40000))).toEqual({ uid: null, reason: 'not_found' });
    expect(findPeer(rows, { ...v4(51000), localPort: 8001 })).toEqual({ uid: null, reason: 'not_found' });
    expect(findPeer(rows, { ...v4(51000), remoteAddress: '127.0.0.2' })).toEqual({ uid: null, reason: 'not_found' });
    expect(findPeer(rows, { ...v4(51000), remoteAddress: '' })).toEqual({ uid: null, reason: 'error' });
  });

  it('refuses two live rows for one tuple', () => {
    const twice = `${TCP}   9: 0100007F:C738 0100007F:1F40 01 00000000:00000000 00:00000000 00000000     0        0 170001 2 0 20 0 0 10 -1\n`;
    expect(findPeer(parseProcNetTcp(twice, 'LE'), v4(51000))).toEqual({ uid: null, reason: 'ambiguous' });
  });
});

describe('lookupPeer', () => {
  const files = (map: Record<string, string>) => async (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };

  it('finds an IPv6 client over ::1 in tcp6', async () => {
    const tuple = { localAddress: '::1', localPort: 0x8db3, remoteAddress: '::1', remotePort: 0xab7e };
    expect(await lookupPeer(tuple, files({ '/proc/net/tcp6': TCP6 }), 'LE')).toEqual({ uid: 1001 });
  });

  it('finds an IPv4 client of an IPv6 socket in tcp, by the mapped address', async () => {
    const tuple = { localAddress: '::ffff:127.0.0.1', localPort: 0x8d84, remoteAddress: '::ffff:127.0.0.1', remotePort: 0x83fd };
    expect(await lookupPeer(tuple, files({ '/proc/net/tcp': TCP_MAPPED_CLIENT, '/proc/net/tcp6': TCP6 }), 'LE')).toEqual({ uid: 1002 });
  });

  it('finds a plain IPv4 client and works without tcp6 (IPv6 disabled)', async () => {
    expect(await lookupPeer(v4(51000), files({ '/proc/net/tcp': TCP }), 'LE')).toEqual({ uid: 1001 });
  });

  it('says unsupported without /proc, and reads this machine for real', async () => {
    expect(await lookupPeer(v4(51000), files({}), 'LE')).toEqual({ uid: null, reason: 'unsupported' });
    const live = await lookupPeer(v4(1));
    expect(live.uid).toBeNull();
  });
});
