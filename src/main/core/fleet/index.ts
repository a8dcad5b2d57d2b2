export type { Executor, ExecOptions, ExecOutcome, GatherSpec, GatherResult, GatheredCommand } from './types';
export { LocalExecutor, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES, truncationMarker } from './local-executor';
export { selectHosts, SelectorError } from './selector';
export { Inventory, localHost, LOCAL_HOST_NAME } from './inventory';
export { Fleet, TransportUnavailableError } from './fleet';
export { fanOut, type FanOutRequest } from './fan-out';
export { mapBounded } from './concurrency';
