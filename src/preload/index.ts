import './zod-jitless';
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  eventChannels,
  invokeChannels,
  isEventChannel,
  isInvokeChannel,
  type ApiError,
  type EventChannel,
  type EventPayload,
  type FleetmindBridge,
  type InvokeChannel,
  type InvokeRequest,
  type InvokeResponse,
} from '../shared/protocol';
import { IpcResultSchema } from './ipc-result';

/**
 * The whole surface the renderer gets: `window.fleetmind.invoke` and `.on`, limited to
 * the channels of the shared protocol and validated with its zod schemas in both
 * directions. Failures reject with a plain {code, message} (an ApiError), which the
 * context bridge copies intact, unlike Error subclasses.
 */
function failure(error: ApiError): Promise<never> {
  return Promise.reject(error);
}

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`).join('; ');
}

const bridge: FleetmindBridge = {
  async invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<InvokeResponse<C>> {
    if (typeof channel !== 'string' || !isInvokeChannel(channel)) {
      return failure({ code: 'forbidden', message: `"${String(channel)}" is not a Fleetmind channel` });
    }
    const schemas = invokeChannels[channel];
    const parsedRequest = schemas.request.safeParse(request);
    if (!parsedRequest.success) return failure({ code: 'bad_request', message: describe(parsedRequest.error.issues) });

    let raw: unknown;
    try {
      raw = await ipcRenderer.invoke(channel, parsedRequest.data);
    } catch (err) {
      // Only a bug in main (a handler that threw instead of answering) lands here.
      return failure({ code: 'internal', message: err instanceof Error ? err.message : String(err) });
    }
    const result = IpcResultSchema.safeParse(raw);
    if (!result.success) return failure({ code: 'internal', message: `malformed answer on ${channel}` });
    if (!result.data.ok) return failure(result.data.error);
    const response = schemas.response.safeParse(result.data.value);
    if (!response.success) return failure({ code: 'internal', message: `invalid response on ${channel}: ${describe(response.error.issues)}` });
    return response.data as InvokeResponse<C>;
  },

  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void {
    if (typeof channel !== 'string' || !isEventChannel(channel) || typeof listener !== 'function') {
      throw new TypeError(`"${String(channel)}" is not a Fleetmind event channel`);
    }
    const schema = eventChannels[channel];
    // The IpcRendererEvent (with its sender) never reaches the page: only the validated payload does.
    const forward = (_event: IpcRendererEvent, payload: unknown) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) listener(parsed.data as EventPayload<C>);
      else console.error(`fleetmind: dropped an invalid ${channel} payload: ${describe(parsed.error.issues)}`);
    };
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  },
};

contextBridge.exposeInMainWorld('fleetmind', bridge);
