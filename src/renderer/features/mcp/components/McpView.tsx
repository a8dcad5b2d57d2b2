import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { McpServerStatusView } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { toolPolicy, withToolPolicy, type McpStore, type ToolPolicy } from '../store';

const STATE_TEXT: Record<McpServerStatusView['state'], string> = {
  connected: 'connected',
  connecting: 'connecting…',
  reconnecting: 'reconnecting…',
  failed: 'failed',
  closed: 'stopped',
  idle: 'not started',
  disabled: 'off',
  unconfirmed: 'waiting for confirmation',
  invalid: 'invalid entry',
};

function ServerCard({ server, store }: { server: McpServerStatusView; store: McpStore }) {
  const busy = useStore(store, (s) => s.busy === server.name);
  const change = useStore(store, (s) => s.change);
  const test = useStore(store, (s) => s.test);
  const tested = useStore(store, (s) => s.tests[server.name]);
  const needsConfirm = server.state !== 'invalid' && (!server.enabled || !server.confirmed);
  const setPolicy = (tool: string, policy: ToolPolicy) => void change(server.name, withToolPolicy(server, tool, policy));

  return (
    <article className="card mcp-server" data-server={server.name} data-state={server.state} aria-label={`MCP server ${server.name}`}>
      <header className="mcp-server-header">
        <h3>{server.name}</h3>
        <span className={`badge mcp-state mcp-state-${server.state}`}>{STATE_TEXT[server.state]}</span>
        <span className="badge">{server.transport}</span>
        <span className={`badge ${server.trusted ? 'badge-warning' : ''}`}>{server.trusted ? 'trusted' : 'untrusted'}</span>
        {server.pid !== null && <span className="muted">pid {server.pid}</span>}
        {busy && <Spinner />}
      </header>
      <p>
        Runs: <code className="mcp-launch">{server.launch || '(invalid)'}</code>
      </p>
      {server.error && <p className="error-text mcp-error">{server.error}</p>}
      <div className="mcp-actions">
        {needsConfirm && (
          <button type="button" disabled={busy} onClick={() => void change(server.name, { confirm: true, specSha256: server.specSha256 })}>
            Confirm and turn on
          </button>
        )}
        {server.enabled && server.confirmed && (
          <button type="button" disabled={busy} onClick={() => void change(server.name, { enabled: false })}>
            Turn off
          </button>
        )}
        <button type="button" disabled={busy || server.state === 'invalid'} onClick={() => void change(server.name, { trusted: !server.trusted })}>
          {server.trusted ? 'Stop trusting' : 'Trust read-only tools'}
        </button>
        <button type="button" disabled={busy || server.state === 'invalid'} onClick={() => void test(server.name)}>
          Test
        </button>
        {server.changedTools.length > 0 && (
          <button type="button" className="danger" disabled={busy} onClick={() => void change(server.name, { acceptDefinitions: true, definitionsSha256: server.definitionsSha256 ?? undefined })}>
            Accept changed tool definitions ({server.changedTools.join(', ')})
          </button>
        )}
      </div>
      {server.changedTools.length > 0 && (
        <p className="warning-text">
          These tools changed since you accepted them and are hidden from the model until you read their descriptions below and accept them: a description can carry instructions meant for
          the model.
        </p>
      )}
      {tested && (
        <p className={tested.ok ? 'muted mcp-test' : 'error-text mcp-test'}>
          Test: {tested.ok ? `ok, ${tested.tools.length} tools, ${tested.resources} resources, ${tested.prompts} prompts (${tested.latencyMs} ms)` : tested.error}
        </p>
      )}
      {server.tools.length > 0 && (
        <table className="data-table mcp-tools">
          <thead>
            <tr>
              <th scope="col">Tool (as the model sees it)</th>
              <th scope="col">Declares</th>
              <th scope="col">Definition</th>
              <th scope="col">Calls</th>
            </tr>
          </thead>
          <tbody>
            {server.tools.map((t) => (
              <tr key={t.tool} data-tool={t.tool}>
                <td>
                  <code>{t.name}</code>
                  <div className="muted mcp-tool-description">{t.description}</div>
                </td>
                <td>{!t.annotated ? 'no annotations' : t.destructive ? 'destructive' : t.readOnly ? 'read-only' : 'writes'}</td>
                <td>{t.pinned ? 'accepted' : 'changed'}</td>
                <td>
                  <select aria-label={`calls of ${t.tool}`} value={toolPolicy(server, t.tool)} disabled={busy} onChange={(e) => setPolicy(t.tool, e.target.value as ToolPolicy)}>
                    <option value="ask">{server.trusted && t.readOnly && !t.destructive ? 'policy: runs' : 'policy: asks'}</option>
                    <option value="allow">always allow</option>
                    <option value="deny">never</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(server.resources.length > 0 || server.prompts.length > 0) && (
        <p className="muted">
          {server.resources.length} resources, {server.prompts.length} prompts.
        </p>
      )}
    </article>
  );
}

/**
 * MCP servers: what each runs, its state and errors, its tools and how their calls are
 * judged, trust, tests. Every value is rendered as text (React escapes it), never HTML:
 * tool descriptions come from the servers.
 */
export function McpView({ store }: { store: McpStore }) {
  const list = useStore(store, (s) => s.list);
  const loading = useStore(store, (s) => s.loading);
  const error = useStore(store, (s) => s.error);
  const load = useStore(store, (s) => s.load);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section className="page mcp-page" aria-labelledby="mcp-title">
      <header className="page-header">
        <h2 id="mcp-title">MCP servers</h2>
        <button type="button" onClick={() => void load()} disabled={loading}>
          Refresh
        </button>
        {loading && <Spinner />}
      </header>
      <p className="warning-text mcp-trust-notice" role="note">
        {list?.trustNotice ??
          'Configuring an MCP server grants it your trust: it runs as you, with your files and network, and what it runs is confirmed before it starts.'}
      </p>
      <p className="muted">
        Servers are configured in <code>mcpServers</code> of config.yaml, with <code>fleetmind mcp-servers add</code> or <code>import</code>. Their tools reach the model as{' '}
        <code>server__tool</code>; calls pass the safety policy and ask for your approval unless a trusted server declares them read-only or you allow them.
      </p>
      {error && <ErrorMessage error={error} />}
      {list && list.servers.length === 0 && <p className="empty">No MCP servers are configured.</p>}
      {list?.servers.map((server) => <ServerCard key={server.name} server={server} store={store} />)}
    </section>
  );
}
