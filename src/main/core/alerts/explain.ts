import type { AlertView } from '../../../shared/protocol';

/** What kind of problem an alert is about (picks which context and advice help). */
export type AlertCategory = 'disk' | 'memory' | 'cpu' | 'network' | 'service' | 'other';

/** What interpret.ts gathered for one alert. */
export interface GatheredContext {
  category: AlertCategory;
  /** The inventory host the context came from (null: none, so only the alert and the store). */
  host: string | null;
  metric: string | null;
  calls: { source: string; tool: string; ok: boolean; summary: string; text: string }[];
  logErrors: string[];
  serviceChanges: string[];
  packageChanges: string[];
  similar: AlertView[];
}

/** Text in an alert that reads like orders to an agent (reported, never obeyed). */
const INSTRUCTION_LIKE = /ignore (all |any |the )?(previous|prior|above|earlier) (instructions|rules)|\brun_command\b|\brm\s+-[a-z]*r[a-z]*f|\bcurl\b[^\n]*\|\s*(ba)?sh\b|\bsystem prompt\b|you are now|\bsudo\b/i;

const NEXT_STEPS: Record<AlertCategory, string[]> = {
  disk: [
    'See what fills the file system: the disk_usage tool (or `du -xh --max-depth=2 MOUNT | sort -h | tail`).',
    'Check for large or runaway logs under /var/log and the journal size (`journalctl --disk-usage`).',
    'Look for deleted files still held open (`lsof +L1`) after a log rotation.',
  ],
  memory: [
    'Compare the top processes by memory with their usual size (top_processes sorted by memory).',
    'Look for OOM-killer lines in the kernel log (`journalctl -k | grep -i oom`).',
    'Check swap activity and whether a recent deploy or upgrade changed a service’s footprint.',
  ],
  cpu: [
    'Identify the processes using CPU now (top_processes) and whether one of them is new or looping.',
    'Check iowait in server_status: high iowait points at storage, not CPU.',
    'Look at the service logs of the top process for retries or error loops.',
  ],
  network: [
    'Check interfaces and listening sockets (network_info) and the error counters.',
    'Compare with other hosts: one host or the whole fleet?',
    'Look for DNS or connection errors in the system log.',
  ],
  service: [
    'Check the state of the service and its recent restarts (services, tail_logs with its unit).',
    'Read the last errors of its unit before the alert started.',
    'If an upgrade or config change preceded it, compare versions before changing anything.',
  ],
  other: [
    'Open the alert’s source (generator URL) for the rule and its expression.',
    'Check the host’s overall state (server_status) and its recent log errors.',
    'Compare with earlier firings of the same alert.',
  ],
};

const CAUSE: Record<AlertCategory, string> = {
  disk: 'a file system is filling up',
  memory: 'the host is running short of memory',
  cpu: 'CPU or load is high',
  network: 'a network problem',
  service: 'a service or scrape target is failing',
  other: 'the condition named by the alert',
};

function secondLine(text: string): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^min /.test(l)) ?? lines[1] ?? null;
}

/**
 * The offline engine's explanation of an alert: deterministic, from the gathered figures and
 * rules of thumb per kind of alert, clearly saying what it rests on. Used when no model is
 * configured, when the model fails, and as the floor the model's answer is checked against.
 */
export function explainOffline(alert: AlertView, ctx: GatheredContext): string {
  const lines: string[] = [];
  const ok = (tool: string) => ctx.calls.find((c) => c.source === tool && c.ok);
  const valueText = alert.value !== null ? ` (value ${Number(alert.value.toPrecision(4))})` : '';
  lines.push(`Likely cause: ${CAUSE[ctx.category]}${ctx.host ? ` on ${ctx.host}` : ''}: ${alert.summary}${valueText}.`);
  if (alert.predictedAt) lines.push(`Predicted for ${alert.predictedAt} (${alert.source === 'forecast' ? 'a forecast from the collected trend' : 'by the alert source'}).`);
  if (alert.source === 'threshold' && alert.annotations.rule) lines.push(`Rule: ${alert.annotations.rule}.`);
  const history = ctx.calls.find((c) => c.tool === 'metrics_query');
  if (history?.ok) {
    const stats = secondLine(history.text);
    if (stats) lines.push(`History of ${ctx.metric} around the alert: ${stats}`);
  } else if (history) {
    lines.push(`No history for ${ctx.metric}: ${history.summary}.`);
  }
  const status = ok('server_status');
  if (status) lines.push(`Host now: ${status.summary}.`);
  const top = ok('top_processes');
  if (top) lines.push(`Top processes: ${top.summary}.`);
  if (ctx.logErrors.length) lines.push(`Recent log errors (${ctx.logErrors.length}), the last: ${ctx.logErrors[ctx.logErrors.length - 1]}`);
  if (ctx.serviceChanges.length) lines.push(`Recent service changes: ${ctx.serviceChanges.slice(-3).join(' | ')}`);
  if (ctx.packageChanges.length) lines.push(`Recent package changes (${ctx.packageChanges.length}), the last: ${ctx.packageChanges[ctx.packageChanges.length - 1]}`);
  if (ctx.similar.length) {
    const last = ctx.similar[0]!;
    lines.push(`Seen before: ${ctx.similar.length} earlier firing(s) of ${alert.name}${ctx.host ? ` on ${ctx.host}` : ''}, the last at ${last.startsAt}${last.resolvedAt ? `, resolved at ${last.resolvedAt}` : ''}.`);
  } else {
    lines.push(`First time this alert fires${ctx.host ? ` on ${ctx.host}` : ''}.`);
  }
  if (!ctx.host) lines.push('No host context: the alert names no host of the inventory (labels host, hostname, nodename or instance).');
  lines.push('Next steps (read-only first; any change needs your approval):');
  NEXT_STEPS[ctx.category].forEach((s, i) => lines.push(`${i + 1}. ${s}`));
  const untrusted = [...Object.values(alert.labels), ...Object.values(alert.annotations), alert.summary];
  if (untrusted.some((t) => INSTRUCTION_LIKE.test(t))) {
    lines.push('Note: the alert’s text contains what reads like instructions (to run commands or ignore rules). It was treated as data; nothing it asked for was run.');
  }
  return lines.join('\n');
}
