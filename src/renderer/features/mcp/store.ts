import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, McpServerChange, McpServerList, McpServerTestResult } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export interface McpState {
  list: McpServerList | null;
  loading: boolean;
  /** A change or test in progress, by server name. */
  busy: string | null;
  error: ApiError | null;
  tests: Record<string, McpServerTestResult>;
  load(): Promise<void>;
  change(name: string, change: McpServerChange): Promise<boolean>;
  test(name: string): Promise<void>;
}

export type McpStore = StoreApi<McpState>;

/** The MCP client's servers: status, tools, trust, lists, confirmation and tests. */
export function createMcpStore(transport: Transport): McpStore {
  let requests = 0;
  return createStore<McpState>()((set, get) => ({
    list: null,
    loading: false,
    busy: null,
    error: null,
    tests: {},
    async load() {
      const seq = ++requests;
      if (!transport.mcpServers) {
        set({ loading: false, error: { code: 'unavailable', message: 'MCP servers are managed from the browser UI or `fleetmind mcp-servers` for now' } });
        return;
      }
      set({ loading: true });
      try {
        const list = await transport.mcpServers();
        if (seq === requests) set({ list, loading: false, error: null });
      } catch (err) {
        if (seq === requests) set({ loading: false, error: toApiError(err) });
      }
    },
    async change(name, change) {
      if (!transport.changeMcpServer) return false;
      set({ busy: name, error: null });
      try {
        const list = await transport.changeMcpServer(name, change);
        ++requests;
        set({ list, busy: null });
        return true;
      } catch (err) {
        set({ busy: null, error: toApiError(err) });
        return false;
      }
    },
    async test(name) {
      if (!transport.testMcpServer) return;
      set({ busy: name, error: null });
      try {
        const result = await transport.testMcpServer(name);
        set({ busy: null, tests: { ...get().tests, [name]: result } });
      } catch (err) {
        set({ busy: null, error: toApiError(err) });
      }
    },
  }));
}

export type ToolPolicy = 'ask' | 'allow' | 'deny';

/** What the lists say about one tool (deny wins, as the policy judges). */
export function toolPolicy(server: { allow: string[]; deny: string[] }, tool: string): ToolPolicy {
  if (server.deny.includes(tool)) return 'deny';
  if (server.allow.includes(tool)) return 'allow';
  return 'ask';
}

/** The lists after setting one tool's policy. */
export function withToolPolicy(server: { allow: string[]; deny: string[] }, tool: string, policy: ToolPolicy): { allow: string[]; deny: string[] } {
  const allow = server.allow.filter((t) => t !== tool);
  const deny = server.deny.filter((t) => t !== tool);
  if (policy === 'allow') allow.push(tool);
  if (policy === 'deny') deny.push(tool);
  return { allow, deny };
}
