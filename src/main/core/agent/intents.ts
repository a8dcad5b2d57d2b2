/**
 * Deterministic intent recognition for the offline engine. Each intent scores by the
 * keywords it finds; every intent that scores is answered, most specific first, so
 * "memory and disk on web-1" runs both tools.
 */
export type OfflineIntent =
  | 'help'
  | 'hosts'
  | 'status'
  | 'diagnose'
  | 'cpu'
  | 'memory'
  | 'disk'
  | 'processes'
  | 'services'
  | 'logs'
  | 'network'
  | 'logins';

interface IntentRule {
  intent: OfflineIntent;
  patterns: RegExp[];
}

const RULES: IntentRule[] = [
  { intent: 'help', patterns: [/\bwhat can you do\b/, /\bhelp\b/, /\bcapabilit/, /\bwhat do you (know|support)\b/, /\bhow do (i|you) use\b/] },
  { intent: 'hosts', patterns: [/\b(list|show|which|what)\b.*\b(hosts|servers|machines|fleet|inventory)\b/, /\binventory\b/, /\bmy (hosts|servers|fleet)\b/] },
  { intent: 'diagnose', patterns: [/\bwhy\b.*\b(slow|sluggish|unresponsive|laggy|hang|hanging|down|high|busy)\b/, /\b(slow|sluggish|unresponsive)\b/, /\bdiagnos/, /\btroubleshoot/, /\bwhat'?s wrong\b/, /\bperformance\b/] },
  { intent: 'status', patterns: [/\bstatus\b/, /\boverview\b/, /\bhealth\b/, /\bhow (is|are|'s)\b/, /\bsummary\b/, /\bstate of\b/, /\bcheck\b/, /\bsystem info/, /\bsysinfo\b/, /\buptime\b/] },
  { intent: 'cpu', patterns: [/\bcpus?\b/, /\bload\b/, /\bprocessor/, /\bcores?\b/] },
  { intent: 'memory', patterns: [/\bmemory\b/, /\bram\b/, /\bswap\b/, /\boom\b/, /\bout of memory\b/, /\bmem\b/] },
  { intent: 'disk', patterns: [/\bdisks?\b/, /\bspace\b/, /\bstorage\b/, /\bfilesystems?\b/, /\bmounts?\b/, /\bdf\b/, /\bpartitions?\b/, /\bfull\b/, /\bvolumes?\b/] },
  { intent: 'processes', patterns: [/\bprocess(es)?\b/, /\btop\b/, /\bps\b/, /\bwhat('s| is) running\b/, /\bhogging\b/, /\bpids?\b/] },
  { intent: 'services', patterns: [/\bservices?\b/, /\bunits?\b/, /\bsystemd\b/, /\bdaemons?\b/, /\bsystemctl\b/] },
  { intent: 'logs', patterns: [/\blogs?\b/, /\bjournal/, /\bsyslog\b/, /\berrors?\b.*\b(recent|last|latest)\b/, /\b(recent|last|latest)\b.*\berrors?\b/, /\bdmesg\b/] },
  { intent: 'network', patterns: [/\bnetwork/, /\binterfaces?\b/, /\bip (address|addr)/, /\bip\b/, /\bports?\b/, /\blistening\b/, /\broutes?\b/, /\bgateway\b/, /\bsockets?\b/, /\bconnections?\b/] },
  { intent: 'logins', patterns: [/\blogins?\b/, /\blogged in\b/, /\bwho('s| is)? (logged|on)\b/, /\bsessions?\b/, /\blast\b.*\b(users?|logins?)\b/, /\bssh (access|users)\b/, /\bauth(entication)? failures?\b/] },
];

export function recogniseIntents(message: string): OfflineIntent[] {
  const text = message.toLowerCase();
  const found: OfflineIntent[] = [];
  for (const rule of RULES) {
    if (rule.patterns.some((p) => p.test(text))) found.push(rule.intent);
  }
  return found;
}

/** Hostname-like words after "on/of/for/at/from/in", or `tag:` terms; the engine checks them against the inventory. */
export function mentionedHostTerms(message: string): string[] {
  const terms = new Set<string>();
  for (const m of message.matchAll(/\b(?:on|of|for|at|from|in)\s+(?:host\s+|server\s+|machine\s+)?((?:tag:)?[A-Za-z0-9][A-Za-z0-9._*-]*)/gi)) {
    terms.add(m[1] as string);
  }
  for (const m of message.matchAll(/\btag:[A-Za-z0-9._-]+/gi)) terms.add(m[0]);
  return [...terms];
}

/** Words that follow "on/of/for" in ordinary English and are never host names. */
export const NOT_HOSTS = new Set([
  'the', 'this', 'that', 'my', 'our', 'a', 'an', 'it', 'me', 'all', 'every', 'each', 'any', 'now', 'today', 'here',
  'server', 'servers', 'host', 'hosts', 'machine', 'machines', 'system', 'systems', 'box', 'fleet', 'disk', 'memory',
  'cpu', 'ram', 'swap', 'use', 'usage', 'load', 'logs', 'log', 'network', 'services', 'processes', 'last', 'recent',
  'minutes', 'hours', 'days', 'hour', 'minute', 'day', 'week', 'errors', 'error', 'detail', 'details', 'use', 'root',
  'unit', 'service', 'nginx', 'ssh', 'sshd', 'docker', 'mysql', 'postgres', 'postgresql', 'redis', 'apache', 'apache2',
  'cron', 'kernel', 'boot', 'disk', 'storage', 'space', 'you', 'us', 'them', 'production', 'prod', 'staging', 'one',
  'information', 'info', 'status', 'health', 'both', 'which', 'what', 'how', 'case', 'sure', 'general', 'short',
]);

export const ALL_HOSTS_PATTERN = /\b(all|every|each)\s+(of\s+the\s+|my\s+|our\s+|the\s+)?(hosts|servers|machines|nodes|boxes)\b|\bwhole fleet\b|\bacross the fleet\b|\bentire fleet\b/i;
