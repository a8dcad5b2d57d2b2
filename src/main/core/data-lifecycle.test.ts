import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataLifecycle, ForgetError, type RetentionConfig } from './data-lifecycle';
import { AuditLog } from './safety';
import { Store } from './store';

const KEY = Buffer.alloc(32, 3);
const OFF: RetentionConfig = { conversationsDays: null, toolOutputDays: null, auditDays: null, sweepMinutes: 60 };

let store: Store;
let log: AuditLog;
beforeEach(() => {
  store = Store.inMemory();
  log = new AuditLog(store.db, KEY, { scheduleBatch: null });
});
afterEach(() => store.close());

/** A conversation about a host, as a chat leaves it: messages, a tool call, an approval, audit rows, a series, a ledger row. */
function conversationAbout(host: string, text: string): string {
  const { conversation } = store.conversations.createWithMessage({ title: text, host }, { role: 'user', content: text });
  store.conversations.appendMessage(conversation.id, {
    role: 'assistant',
    content: `answer about ${text}`,
    toolCalls: [{ id: `call-${conversation.id}`, tool: 'disk_usage', args: { host }, host, ok: true, summary: `disk of ${host}: ${text}`, error: null, durationMs: 3, startedAt: new Date().toISOString() }],
  });
  const approval = store.approvals.create({ conversationId: conversation.id, command: `rm -rf /srv/${text}`, hosts: [host], category: 'destructive', reasons: ['deletes'], purpose: null, requester: `agent:${conversation.id}`, policyVersion: 'v1', ttlMs: 60_000 });
  log.append({ kind: 'request', actor: 'http', subject: conversation.id, data: { host } });
  log.append({ kind: 'tool_call', actor: `offline:${conversation.id}`, host, subject: 'disk_usage', data: { args: { host } } });
  log.append({ kind: 'approval', actor: `agent:${conversation.id}`, subject: `rm -rf /srv/${text}`, data: { approvalId: approval.id, hosts: [host] } });
  store.privacyLedger.record({ conversationId: conversation.id, provider: 'remote', model: 'm', local: false, bytes: 100, redactions: { 'aws-key': 1 } });
  return conversation.id;
}

const rawDb = (): string => JSON.stringify(['conversations', 'messages', 'tool_calls', 'approvals', 'audit_log', 'privacy_ledger', 'metric_series'].map((t) => store.db.prepare(`SELECT * FROM ${t}`).all()));

describe('DataLifecycle', () => {
  it('forgets a conversation: store rows and audit payloads go, the chain verifies, the forget is audited', () => {
    const keep = conversationAbout('db-1', 'keepme-topic');
    const gone = conversationAbout('web-7', 'forgetme-topic');
    log.append({ kind: 'settings', actor: 'cli', subject: 'unrelated', data: {} });
    log.checkpoint();
    const head = log.head();
    const life = new DataLifecycle(store, log, OFF);
    const summary = life.forgetConversation(gone, 'cli');
    expect(summary).toMatchObject({ reason: 'conversation', conversations: 1, messages: 2, toolCalls: 1, approvals: 1, privacyRows: 1, auditTombstones: 3 });
    expect(rawDb()).not.toContain('forgetme-topic');
    expect(rawDb()).not.toContain(gone);
    expect(rawDb()).toContain('keepme-topic');
    expect(store.conversations.get(keep)).not.toBeNull();
    expect(log.verify({ anchors: [head] })).toMatchObject({ ok: true });
    const record = log.list({ kind: 'retention', newestFirst: true })[0];
    expect(record?.data).toMatchObject({ action: 'forget', reason: 'conversation', deleted: { conversations: 1 } });
    expect(() => life.forgetConversation(gone, 'cli')).toThrow(ForgetError);
  });

  it('forgets a host: its conversations, tool calls elsewhere, approvals, metric series and audit payloads', () => {
    conversationAbout('web-7', 'about-web');
    const other = conversationAbout('db-1', 'about-db');
    store.conversations.appendMessage(other, { role: 'assistant', content: 'checked', toolCalls: [{ id: 'x1', tool: 'memory', args: {}, host: 'web-7', ok: true, summary: 'memory of web-7', error: null, durationMs: 1, startedAt: new Date().toISOString() }] });
    store.db.prepare("INSERT INTO metric_series (host, name, labels, unit, source) VALUES ('web-7', 'load1', '{}', '', 'collector'), ('db-1', 'load1', '{}', '', 'collector')").run();
    const summary = new DataLifecycle(store, log, OFF).forgetHost('web-7', 'cli');
    expect(summary).toMatchObject({ reason: 'host', conversations: 1, metricSeries: 1 });
    expect(summary.toolCalls).toBe(2);
    expect(rawDb()).not.toContain('web-7');
    expect(rawDb()).not.toContain('about-web');
    expect(rawDb()).toContain('about-db');
    expect(log.verify()).toMatchObject({ ok: true });
  });

  it('applies retention: old conversations and tool output removed, old audit payloads tombstoned, chain rows kept', () => {
    const id = conversationAbout('web-7', 'old-topic');
    store.db.prepare("UPDATE conversations SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").run(id);
    const rows = (store.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    const later = new Date(Date.now() + 40 * 86_400_000);
    const life = new DataLifecycle(store, log, { ...OFF, conversationsDays: 30, auditDays: 30 }, () => later);
    const summary = life.forgetExpired('retention:sweep');
    expect(summary.conversations).toBe(1);
    expect(summary.auditTombstones).toBeGreaterThanOrEqual(rows);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBeGreaterThan(rows);
    expect(rawDb()).not.toContain('old-topic');
    expect(log.verify()).toMatchObject({ ok: true });
    // Nothing left to expire: no new audit row.
    const again = life.forgetExpired('retention:sweep');
    expect(again.auditSeq).toBeNull();
  });

  it('exports a conversation with its approvals, ledger and audit entries', () => {
    const id = conversationAbout('web-7', 'export-topic');
    const out = JSON.parse(JSON.stringify(new DataLifecycle(store, log, OFF).exportConversation(id))) as Record<string, unknown> & { conversation: { id: string; messages: unknown[] }; audit: { subject: string }[]; approvals: unknown[]; privacy: unknown[] };
    expect(out.format).toBe('fleetmind-conversation-export');
    expect(out.conversation.id).toBe(id);
    expect(out.conversation.messages).toHaveLength(2);
    expect(out.approvals).toHaveLength(1);
    expect(out.privacy).toHaveLength(1);
    expect(out.audit.map((e) => e.subject)).toEqual([id, 'disk_usage', 'rm -rf /srv/export-topic']);
  });

  it('reports per conversation and provider, with the hosts involved', () => {
    const id = conversationAbout('web-7', 'report-topic');
    store.privacyLedger.record({ conversationId: id, provider: 'remote', model: 'm2', local: false, bytes: 50, redactions: { 'aws-key': 2, github: 1 }, pseudonyms: { host: 1 } });
    const report = new DataLifecycle(store, log, OFF).privacyReport();
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ conversationId: id, provider: 'remote', requests: 2, bytesSent: 150, redactions: { 'aws-key': 2, github: 1 }, pseudonyms: { host: 1 }, hosts: ['web-7'], models: ['m', 'm2'] });
    expect(report.totals).toMatchObject({ requests: 2, remoteRequests: 2, bytesSent: 150 });
  });
});
