import { describeFleet, diagnose, rankHosts, type HostDiagnosis } from '../metrics';
import type { TableBlock } from '../../../shared/protocol';
import { formatDuration, type ToolCallOutcome } from '../tools';

/**
 * server_status over several hosts as one table (issue 17 item 4): one row per host with
 * the problems first, unreachable and timed-out hosts in one line on top. Built from each
 * host's diagnosis (the tool's data) and, for hosts whose call failed, the error the tool
 * runner reported for them. Both engines use it: the offline engine as its answer, the
 * model engine ahead of the per-host details it hands the model.
 */
export function fleetStatus(outcome: ToolCallOutcome, hosts: readonly string[]): { text: string; diagnoses: HostDiagnosis[] } {
  const diagnoses = hosts.map((host): HostDiagnosis => {
    const d = (outcome.data[host] as { diagnosis?: HostDiagnosis } | undefined)?.diagnosis;
    if (d) return d;
    const message = failureOf(outcome.text, host);
    const timedOut = /timed out|timeout|did not answer within/i.test(message ?? '');
    return diagnose({ host, state: timedOut ? 'timeout' : 'unreachable', message: message ?? 'no answer', at: null, figures: null, baseline: null, processes: null });
  });
  const ranked = rankHosts(diagnoses);
  const table = describeFleet(ranked).text;
  const problems = ranked.filter((d) => d.state === 'ok' && d.findings.some((f) => f.severity === 'warning' || f.severity === 'critical'));
  const findings = problems.length
    ? `\n\nFindings:\n${problems.flatMap((d) => d.findings.filter((f) => f.severity !== 'info').map((f) => `- ${d.host} [${f.severity}] ${f.text}`)).join('\n')}`
    : '\n\nFindings: nothing stands out on the hosts that answered.';
  // One line per host that answered: what the host calls itself (inventory names can differ), its OS and uptime.
  const about = ranked
    .map((d) => ({ d, system: (outcome.data[d.host] as { system?: { hostname: string | null; os: string | null; uptimeSeconds: number | null } } | undefined)?.system }))
    .filter((x) => x.system)
    .map(({ d, system }) => `- ${d.host}: Host: ${system!.hostname ?? 'unknown'}, ${system!.os ?? 'unknown OS'}${system!.uptimeSeconds !== null ? `, up ${formatDuration(system!.uptimeSeconds)}` : ''}`);
  const hostsText = about.length ? `\n\nHosts:\n${about.join('\n')}` : '';
  return { text: `${table}${findings}${hostsText}`, diagnoses: ranked };
}

/** The runner's per-host failure line: "server_status failed on HOST: MESSAGE". */
function failureOf(text: string, host: string): string | null {
  for (const line of text.split('\n')) {
    const prefix = `server_status failed on ${host}: `;
    if (line.startsWith(prefix)) return line.slice(prefix.length).trim();
  }
  return null;
}

/** The same answer as a chat table block: unreachable hosts first, then problems first. */
export function fleetTableBlock(diagnoses: readonly HostDiagnosis[]): TableBlock {
  const ranked = rankHosts(diagnoses);
  const down = ranked.filter((d) => d.state === 'unreachable' || d.state === 'timeout' || d.state === 'refused');
  const up = ranked.filter((d) => !down.includes(d));
  return {
    title: 'Fleet status',
    columns: ['Host', 'State', 'CPU', 'Mem', 'Load/cores', 'Disk max', 'Top finding'],
    rows: [...down, ...up].map((d) => [d.row.host, d.row.state, d.row.cpu, d.row.mem, d.row.loadPerCores, d.row.diskMax, d.row.topFinding]),
  };
}
