/** "4:59" under an hour, "1 h 05 min" above; "0:00" once passed. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** "localhost", "web-1 and web-2", "web-1, web-2 and 10 more" for prose; the dialog lists them all. */
export function describeHosts(hosts: readonly string[], shown = 3): string {
  if (hosts.length <= 1) return hosts[0] ?? 'no host';
  if (hosts.length <= shown) return `${hosts.slice(0, -1).join(', ')} and ${hosts[hosts.length - 1]}`;
  return `${hosts.slice(0, shown - 1).join(', ')} and ${hosts.length - shown + 1} more`;
}

/** Tags every one of the hosts carries; unknown hosts share nothing. */
export function sharedTags(hosts: readonly string[], hostTags: Record<string, string[]>): string[] {
  if (hosts.length === 0) return [];
  const lists = hosts.map((h) => hostTags[h]);
  if (lists.some((l) => l === undefined)) return [];
  return (lists as string[][]).reduce((common, tags) => common.filter((t) => tags.includes(t)));
}

/** The first lines of a command's output, for a glance; the full text goes to the agent. */
export function outputPreview(text: string, lines = 3, chars = 240): string {
  const trimmed = text.trimEnd();
  const head = trimmed.split('\n').slice(0, lines).join('\n');
  const cut = head.length > chars ? `${head.slice(0, chars)}…` : head;
  return cut.length < trimmed.length && !cut.endsWith('…') ? `${cut}\n…` : cut;
}

export const CATEGORY_LABELS: Record<string, string> = {
  read_only: 'Read-only',
  mutating: 'Changes the system',
  destructive: 'Destructive',
  privilege_escalation: 'Privilege escalation',
  credential_access: 'Credential access',
  code_download_exec: 'Downloads and runs code',
  network_exfiltration: 'Sends data off the host',
  persistence: 'Persistence',
  unknown: 'Unknown program',
};

/** Categories that deserve the loud colour in the dialog. */
export const DANGEROUS_CATEGORIES: ReadonlySet<string> = new Set([
  'destructive',
  'privilege_escalation',
  'credential_access',
  'code_download_exec',
  'network_exfiltration',
  'persistence',
]);
