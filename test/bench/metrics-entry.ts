// One module graph for the metrics benchmark (vite's runnerImport per entry): the fleet,
// the gate and the collector must share the safety module that mints approved commands.
export { Fleet, Inventory, SshExecutor } from '../../src/main/core/fleet';
export { CollectorRunner, hostSettings, metricsConfig, MetricStore, TIERS } from '../../src/main/core/metrics';
export { loadDefaultPolicy, SafetyGate } from '../../src/main/core/safety';
export { openDatabase, Store } from '../../src/main/core/store';
export { startSshdHosts } from '../fixtures/sshd-hosts/index';
