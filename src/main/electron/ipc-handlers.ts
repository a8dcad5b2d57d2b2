import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { Logger } from 'pino';
import {
  invokeChannels,
  type ApiError,
  type Host,
  type EventChannel,
  type EventPayload,
  type InvokeChannel,
  type InvokeRequest,
  type InvokeResponse,
} from '../../shared/protocol';
import { ApprovalError, ChatError } from '../core/agent';
import { Fleet, FleetHosts, FleetRequestError, HostConnectionError, HostKeyConfirmationError } from '../core/fleet';
import { ProviderSettingsError } from '../core/llm';
import { McpConfigError } from '../core/mcp';
import { MCP_TRUST_NOTICE } from '../../shared/protocol';
import type { CoreFacade } from '../core/services';
import type { IpcResult } from './ipc-result';
import type { RendererOrigin } from './security';

class IpcFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

type Handlers = {
  [C in InvokeChannel]: (request: InvokeRequest<C>, event: IpcMainInvokeEvent, signal: AbortSignal) => Promise<InvokeResponse<C>> | InvokeResponse<C>;
};

function send<C extends EventChannel>(contents: WebContents, channel: C, payload: EventPayload<C>): void {
  if (!contents.isDestroyed()) contents.send(channel, payload);
}

/** Turns whatever a core call threw into the protocol's error; unexpected ones are logged, not passed on verbatim. */
function toApiError(err: unknown, channel: string, logger: Logger): ApiError {
  if (err instanceof IpcFailure || err instanceof ChatError || err instanceof ApprovalError) return err.error;
  if (err instanceof ProviderSettingsError) return { code: err.code, message: err.message };
  if (err instanceof FleetRequestError || err instanceof HostKeyConfirmationError) return { code: err.code, message: err.message };
  if (err instanceof HostConnectionError) return err.toApiError();
  logger.error({ err, channel }, 'IPC handler failed');
  return { code: 'internal', message: `${channel} failed: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * Binds each invoke channel of the shared protocol to the core. Requests are validated
 * again here (the preload is a convenience, not a trust boundary), only our own page may
 * call, and answers are IpcResult values so typed errors survive the trip.
 */
export function registerIpcHandlers(core: CoreFacade, origin: RendererOrigin, logger: Logger): () => void {
  // The facade has no inventory listing yet; the composed Core carries one (as the HTTP server's fleet routes rely on too).
  const inventory = (core as { inventory?: { list(): Host[] } }).inventory;
  const fleet = (core as { fleet?: unknown }).fleet;
  const fleetHosts = fleet instanceof Fleet ? new FleetHosts(fleet) : null;
  const hostsService = (): FleetHosts => {
    if (!fleetHosts) throw new IpcFailure({ code: 'unavailable', message: 'this core has no fleet' });
    return fleetHosts;
  };
  const metrics = () => {
    if (!core.metrics) throw new IpcFailure({ code: 'unavailable', message: 'this core keeps no metrics' });
    return core.metrics;
  };
  // A closed window abandons its turns; the core stops working on them.
  const turns = new Map<number, Set<AbortController>>();
  const signalFor = (contents: WebContents): { signal: AbortSignal; release: () => void } => {
    const controller = new AbortController();
    let set = turns.get(contents.id);
    if (!set) {
      const created = new Set<AbortController>();
      turns.set(contents.id, created);
      set = created;
      const abandon = () => {
        for (const c of created) c.abort();
        turns.delete(contents.id);
      };
      contents.once('destroyed', abandon);
    }
    set.add(controller);
    return { signal: controller.signal, release: () => set.delete(controller) };
  };

  const mcpOf = () => {
    if (!core.mcp) throw new IpcFailure({ code: 'unavailable', message: 'this core has no MCP client' });
    return core.mcp;
  };
  const mcpList = () => ({ servers: mcpOf().status(), trustNotice: MCP_TRUST_NOTICE });
  const mcpFailure = (err: unknown): never => {
    if (err instanceof McpConfigError) throw new IpcFailure({ code: err.code, message: err.message });
    throw err;
  };

  const alertsOf = () => {
    if (!core.alerts) throw new IpcFailure({ code: 'unavailable', message: 'this core keeps no alerts' });
    return core.alerts;
  };

  const handlers: Handlers = {
    'fleetmind:chat': (request, event, signal) =>
      core.chat(request, { signal, actor: 'desktop', onEvent: (chatEvent) => send(event.sender, 'fleetmind:chat.event', chatEvent) }),
    'fleetmind:chat.cancel': ({ conversationId }) => ({ cancelled: core.cancel(conversationId) }),
    'fleetmind:approvals.list': () => core.listApprovals(),
    'fleetmind:approvals.decide': ({ id, ...decision }) => core.decideApproval(id, decision, 'desktop'),
    'fleetmind:approvals.rules': () => {
      if (!core.listRules) throw new IpcFailure({ code: 'unavailable', message: 'this core keeps no remembered rules' });
      return core.listRules();
    },
    'fleetmind:approvals.revokeRule': ({ id }) => {
      if (!core.revokeRule) throw new IpcFailure({ code: 'unavailable', message: 'this core keeps no remembered rules' });
      return core.revokeRule(id, 'desktop');
    },
    'fleetmind:health': () => core.health(),
    'fleetmind:conversations.list': () => core.listConversations(),
    'fleetmind:conversations.get': ({ id }) => {
      const detail = core.getConversation(id);
      if (!detail) throw new IpcFailure({ code: 'not_found', message: `no conversation with id ${id}` });
      return detail;
    },
    'fleetmind:hosts.list': () => {
      if (!inventory) throw new IpcFailure({ code: 'unavailable', message: 'this core has no inventory' });
      return { hosts: inventory.list() };
    },
    // The desktop user is the operator: the inventory is theirs to change, as over HTTP with the operator token.
    'fleetmind:hosts.add': (request) => ({ host: hostsService().add(request) }),
    'fleetmind:hosts.import': ({ kind, text, format }) => hostsService().import(kind, text, { format }),
    'fleetmind:hosts.hostKey': ({ name }) => hostsService().hostKey(name),
    'fleetmind:hosts.trust': async ({ name, fingerprint }) => {
      const result = await hostsService().trust(name, fingerprint, 'desktop');
      return { trusted: result.scan, replaced: result.replaced };
    },
    'fleetmind:metrics.hosts': () => ({ hosts: metrics().status() }),
    'fleetmind:metrics.series': ({ host }) => {
      const m = metrics();
      return { host, series: m.listSeries(host).map(({ host: _h, ...s }) => s), collector: m.hostStatus(host) };
    },
    'fleetmind:metrics.query': ({ host, metric, labels, since, until, stepMs }) => {
      if (since > until) throw new IpcFailure({ code: 'bad_request', message: 'since is after until' });
      if (stepMs !== null && (until - since) / stepMs > 100_000) throw new IpcFailure({ code: 'bad_request', message: 'step gives more than 100000 points' });
      // No agg: the service averages, except anomaly scores, whose buckets keep their worst (so 24 h and 7 d charts keep their marks).
      const outcome = metrics().query({ host, metric, labels: { ...labels }, since, until, stepMs });
      if (!outcome.ok) throw new IpcFailure({ code: outcome.code === 'ambiguous' ? 'bad_request' : 'not_found', message: outcome.message });
      const { host: h, metric: name, labels: l, unit, points, stepMs: s, resolution, source } = outcome.result;
      return { host: h, metric: name, labels: { ...l }, unit, points, stepMs: s, resolution, source };
    },
    'fleetmind:providers.list': async () => ({ providers: await core.providers.list() }),
    'fleetmind:providers.add': async ({ apiKey, ...provider }) => {
      await core.providers.add(provider, apiKey ?? null);
      return { added: provider.name, restartRequired: true };
    },
    'fleetmind:providers.remove': async ({ name }) => {
      await core.providers.remove(name);
      return { removed: name };
    },
    'fleetmind:providers.test': async ({ name }) => {
      const result = await core.testProvider(name);
      if (!result.ok) throw new IpcFailure(result.error);
      return result;
    },
    'fleetmind:usage.report': ({ by, since }) => core.usageReport(by ?? 'day', since),
    // The desktop user is the operator (as with approvals), so the audit log is theirs to read.
    'fleetmind:audit.page': (query) => core.auditPage(query),
    'fleetmind:privacy.report': () => {
      if (!core.privacyReport) throw new IpcFailure({ code: 'unavailable', message: 'the privacy report is not available here' });
      return core.privacyReport();
    },
    'fleetmind:alerts.list': (query) => alertsOf().list(query),
    'fleetmind:alerts.ack': ({ id }) => {
      const alert = alertsOf().acknowledge(id, 'desktop');
      if (!alert) throw new IpcFailure({ code: 'not_found', message: 'no alert with this id' });
      return { alert };
    },
    'fleetmind:alerts.silence': (request) => {
      try {
        return { silence: alertsOf().createSilence(request, 'desktop') };
      } catch (err) {
        throw new IpcFailure({ code: 'bad_request', message: (err as Error).message });
      }
    },
    'fleetmind:alerts.interpret': ({ id }) => {
      const alert = alertsOf().get(id);
      if (!alert) throw new IpcFailure({ code: 'not_found', message: 'no alert with this id' });
      return { interpretation: alertsOf().requestInterpretation(alert, { force: true }) };
    },
    // The desktop user is the operator: MCP server changes are theirs (audited with actor desktop).
    'fleetmind:mcp-servers.list': () => mcpList(),
    'fleetmind:mcp-servers.change': async ({ name, change }) => {
      await mcpOf().applyChange(name, change, 'desktop').catch(mcpFailure);
      return mcpList();
    },
    'fleetmind:mcp-servers.test': ({ name }) => mcpOf().test(name).catch(mcpFailure),
  };

  const channels = Object.keys(invokeChannels) as InvokeChannel[];
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, raw: unknown): Promise<IpcResult<unknown>> => {
      if (!origin.isTrustedSender(event.senderFrame)) {
        logger.warn({ channel, url: event.senderFrame?.url }, 'refused IPC from an untrusted frame');
        return { ok: false, error: { code: 'forbidden', message: 'this page may not call Fleetmind' } };
      }
      const parsed = invokeChannels[channel].request.safeParse(raw);
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`).join('; ');
        return { ok: false, error: { code: 'bad_request', message } };
      }
      const { signal, release } = signalFor(event.sender);
      try {
        const handler = handlers[channel] as (request: unknown, event: IpcMainInvokeEvent, signal: AbortSignal) => unknown;
        return { ok: true, value: await handler(parsed.data, event, signal) };
      } catch (err) {
        return { ok: false, error: toApiError(err, channel, logger) };
      } finally {
        release();
      }
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
