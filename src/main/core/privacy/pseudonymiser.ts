/**
 * Reversible pseudonyms for remote models: inventory host names and addresses, other IP
 * addresses, names under internal domains, usernames and e-mail addresses become stable
 * per-conversation pseudonyms (`host-1`, `ip-3`, `domain-2`, `user-2`, `email-1`). The model's
 * answers and tool-call arguments are mapped back token by token before they are shown or run.
 *
 * Pure: no network, no process, no file I/O. What counts as a host or a user comes from the
 * caller (a {@link Vocabulary}); usernames are also learnt from `/etc/passwd`-style lines and
 * `/home/NAME` paths in the text itself.
 *
 * Rules that keep it exact:
 * - Reverse mapping is by whole token (`host-1` never matches inside `host-10`).
 * - `[REDACTED:type#n]` placeholders are never touched either way: the pseudonymiser runs after
 *   secret redaction, so no real value it knows is a secret, and a placeholder never becomes one.
 * - Text that already looks like a pseudonym (`host-7` in a log line) is itself mapped, so every
 *   pseudonym the model sees was issued by this session; a pseudonym the session never issued
 *   (invented, or from another conversation) is reported as unknown, never guessed.
 */

export type PseudonymKind = 'host' | 'ip' | 'domain' | 'user' | 'email';

export interface Vocabulary {
  /** Inventory host names and DNS addresses (matched case-insensitively, as whole tokens). */
  hosts: readonly string[];
  /** Inventory addresses; IP addresses among them become `ip-N`, names `host-N`. */
  addresses?: readonly string[];
  /** Usernames (inventory `user`, passwd accounts): case-sensitive whole tokens. */
  users: readonly string[];
  /** Internal domain suffixes (`corp.example`, `.internal`): any name under them becomes `domain-N`. */
  internalDomains: readonly string[];
}

export const DEFAULT_INTERNAL_DOMAINS = ['internal', 'local', 'localdomain', 'lan', 'corp', 'intranet', 'home.arpa'];

/**
 * Account names that identify nobody (system and cloud-image defaults): left alone, so
 * `root`, `www-data` or `ubuntu` read the same to the model as anywhere else.
 */
const GENERIC_USERS = new Set([
  'root', 'admin', 'administrator', 'ubuntu', 'debian', 'centos', 'fedora', 'ec2-user', 'cloud-user', 'pi', 'vagrant',
  'nobody', 'user', 'guest', 'test', 'ansible', 'deploy', 'git', 'www-data', 'daemon', 'bin', 'sys', 'postgres', 'mysql',
]);
const GENERIC_HOSTS = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

const PLACEHOLDER = /\[REDACTED:[a-z0-9-]+#\d+\]/g;
const TOKEN_CHARS = /[A-Za-z0-9_-]/;
/** A pseudonym as a whole token (case-insensitive: `Host-1` at the start of a sentence counts). */
const PSEUDONYM = /(?<![A-Za-z0-9_-])(host|ip|domain|user|email)-(\d{1,6})(?![A-Za-z0-9_-])/gi;
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?!\\w|\\.\\d)`, 'g');
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;
const PASSWD_LINE = /^([a-z_][a-z0-9_.-]{0,31}):[^:\n]*:(\d{1,10}):\d{1,10}:[^:\n]*:[^:\n]*:[^:\n]*$/gm;
const HOME_PATH = /\/home\/([a-z_][a-z0-9_.-]{0,31})(?![A-Za-z0-9_.-]*@)/g;

interface Span {
  start: number;
  end: number;
  kind: PseudonymKind;
  /** Key of the real value (normalised). */
  key: string;
  /** The real value to map back to. */
  real: string;
  /** A pseudonym-shaped literal keeps its own text when free. */
  literal?: boolean;
  priority: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isIPv4(s: string): boolean {
  return new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`).test(s);
}

function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 && groups.length >= 1 : groups.length === 8;
}

/** Loopback, unspecified, broadcast and netmask-like addresses identify nothing. */
function ignoredIp(ip: string): boolean {
  if (isIPv4(ip)) return ip.startsWith('127.') || ip === '0.0.0.0' || ip.startsWith('255.');
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || /^0{0,4}(:0{0,4})*:0*1?$/.test(lower);
}

/** A vocabulary compiled into matchers (build once per vocabulary, share between sessions). */
export class CompiledVocabulary {
  readonly hostNames: Map<string, string>;
  readonly users: Set<string>;
  readonly domainPattern: RegExp | null;
  /** Inventory IP addresses: pseudonymised even on loopback (a test host at 127.0.1.2 is still a host). */
  readonly ips: Set<string>;

  constructor(readonly vocabulary: Vocabulary) {
    this.hostNames = new Map();
    this.ips = new Set((vocabulary.addresses ?? []).map((a) => a.trim().toLowerCase()).filter((a) => isIPv4(a) || isIPv6(a)));
    for (const name of [...vocabulary.hosts, ...(vocabulary.addresses ?? [])]) {
      const trimmed = name.trim();
      if (trimmed.length < 2 || GENERIC_HOSTS.has(trimmed.toLowerCase()) || isIPv4(trimmed) || isIPv6(trimmed)) continue;
      if (!this.hostNames.has(trimmed.toLowerCase())) this.hostNames.set(trimmed.toLowerCase(), trimmed);
    }
    this.users = new Set(vocabulary.users.map((u) => u.trim()).filter((u) => u.length >= 2 && !GENERIC_USERS.has(u)));
    const suffixes = vocabulary.internalDomains.map((d) => d.trim().replace(/^\.+|\.+$/g, '').toLowerCase()).filter(Boolean);
    this.domainPattern = suffixes.length
      ? new RegExp(`(?<![A-Za-z0-9_.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+(?:${suffixes.map(escapeRegExp).join('|')})(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`, 'gi')
      : null;
  }
}

export interface RevealResult {
  text: string;
  /** Pseudonym-shaped tokens this session never issued (as written). */
  unknown: string[];
}

/**
 * One conversation's pseudonyms. The mapping lives in memory only (see `llm/redaction.ts`):
 * the store keeps real names, so after a restart a new session maps the whole history again.
 */
export class Pseudonymiser {
  /** `kind:key` → pseudonym. */
  private readonly forward = new Map<string, string>();
  /** lower-case pseudonym → real value. */
  private readonly backward = new Map<string, string>();
  private readonly counters = new Map<PseudonymKind, number>();
  /** Usernames learnt from passwd lines and /home paths in the text. */
  private readonly learntUsers = new Set<string>();
  private literalPattern: { source: string; regex: RegExp | null } = { source: '', regex: null };

  /** Distinct values mapped so far. */
  get size(): number {
    return this.backward.size;
  }

  /** Pseudonyms issued so far, per kind (the privacy report's "pseudonyms" column). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** The real value behind a pseudonym this session issued. */
  lookup(pseudonym: string): string | undefined {
    return this.backward.get(pseudonym.toLowerCase());
  }

  /** Real text → text with pseudonyms. Placeholders are left as they are. */
  pseudonymise(text: string, vocabulary: CompiledVocabulary): string {
    if (!text) return text;
    this.learnUsers(text);
    const spans = this.findSpans(text, vocabulary);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + this.pseudonymFor(span);
      at = span.end;
    }
    return out + text.slice(at);
  }

  /** Model text → real text; unknown pseudonyms stay as written and are reported. */
  reveal(text: string): RevealResult {
    const unknown: string[] = [];
    if (!text) return { text, unknown };
    const protectedSpans = [...text.matchAll(PLACEHOLDER)].map((m) => [m.index, m.index + m[0].length] as const);
    const out = text.replace(PSEUDONYM, (match: string, _kind: string, _n: string, offset: number) => {
      if (protectedSpans.some(([s, e]) => offset < e && offset + match.length > s)) return match;
      const real = this.backward.get(match.toLowerCase());
      if (real === undefined) {
        if (!unknown.includes(match)) unknown.push(match);
        return match;
      }
      return real;
    });
    return { text: out, unknown };
  }

  /** Tool-call arguments as JSON text → the same JSON with every string value revealed. */
  revealJson(argumentsText: string): RevealResult {
    let value: unknown;
    try {
      value = JSON.parse(argumentsText);
    } catch {
      return this.reveal(argumentsText);
    }
    const unknown: string[] = [];
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') {
        const r = this.reveal(v);
        for (const u of r.unknown) if (!unknown.includes(u)) unknown.push(u);
        return r.text;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    const revealed = walk(value);
    return { text: unknown.length === 0 && JSON.stringify(revealed) === JSON.stringify(value) ? argumentsText : JSON.stringify(revealed), unknown };
  }

  /**
   * Streaming reveal: text arrives in arbitrary pieces (`ho`, `st-1`, `0 is`), so the trailing
   * run of token characters is held back until the token is complete.
   */
  revealStream(emit: (text: string) => void): { push(chunk: string): void; flush(): void } {
    let pending = '';
    return {
      push: (chunk: string) => {
        pending += chunk;
        let cut = pending.length;
        while (cut > 0 && TOKEN_CHARS.test(pending[cut - 1] as string)) cut--;
        // Inside a possible placeholder: wait for its closing bracket.
        const open = pending.lastIndexOf('[REDACTED:');
        if (open >= 0 && pending.indexOf(']', open) < 0) cut = Math.min(cut, open);
        if (cut === 0) return;
        const ready = pending.slice(0, cut);
        pending = pending.slice(cut);
        emit(this.reveal(ready).text);
      },
      flush: () => {
        if (!pending) return;
        const rest = pending;
        pending = '';
        emit(this.reveal(rest).text);
      },
    };
  }

  private learnUsers(text: string): void {
    if (text.includes(':')) {
      for (const m of text.matchAll(PASSWD_LINE)) {
        const uid = Number(m[2]);
        if (uid >= 1000 && uid < 60000 && !GENERIC_USERS.has(m[1] as string)) this.learntUsers.add(m[1] as string);
      }
    }
    if (text.includes('/home/')) {
      for (const m of text.matchAll(HOME_PATH)) {
        const name = (m[1] as string).replace(/\.+$/, '');
        if (name.length >= 2 && !GENERIC_USERS.has(name)) this.learntUsers.add(name);
      }
    }
  }

  private literals(vocabulary: CompiledVocabulary): RegExp | null {
    const words = [...vocabulary.hostNames.keys(), ...vocabulary.users, ...this.learntUsers];
    const source = [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).map(escapeRegExp).join('|');
    if (source !== this.literalPattern.source) {
      this.literalPattern = { source, regex: source ? new RegExp(`(?<![A-Za-z0-9_-])(?:${source})(?![A-Za-z0-9_-])`, 'gi') : null };
    }
    return this.literalPattern.regex;
  }

  private findSpans(text: string, vocabulary: CompiledVocabulary): Span[] {
    const candidates: Span[] = [];
    for (const m of text.matchAll(EMAIL)) candidates.push({ start: m.index, end: m.index + m[0].length, kind: 'email', key: m[0].toLowerCase(), real: m[0], priority: 5 });
    for (const m of text.matchAll(PSEUDONYM)) {
      candidates.push({ start: m.index, end: m.index + m[0].length, kind: (m[1] as string).toLowerCase() as PseudonymKind, key: `literal:${m[0].toLowerCase()}`, real: m[0], literal: true, priority: 4 });
    }
    const literals = this.literals(vocabulary);
    if (literals) {
      for (const m of text.matchAll(literals)) {
        const word = m[0];
        const host = vocabulary.hostNames.get(word.toLowerCase());
        if (host !== undefined) candidates.push({ start: m.index, end: m.index + word.length, kind: 'host', key: host.toLowerCase(), real: host, priority: 3 });
        else if (vocabulary.users.has(word) || this.learntUsers.has(word)) candidates.push({ start: m.index, end: m.index + word.length, kind: 'user', key: word, real: word, priority: 2 });
      }
    }
    if (vocabulary.domainPattern) {
      for (const m of text.matchAll(vocabulary.domainPattern)) {
        const host = vocabulary.hostNames.get(m[0].toLowerCase());
        candidates.push({ start: m.index, end: m.index + m[0].length, kind: host ? 'host' : 'domain', key: m[0].toLowerCase(), real: host ?? m[0], priority: 3 });
      }
    }
    for (const m of text.matchAll(IPV4)) {
      if (!ignoredIp(m[0]) || vocabulary.ips.has(m[0])) candidates.push({ start: m.index, end: m.index + m[0].length, kind: 'ip', key: m[0], real: m[0], priority: 3 });
    }
    if (text.includes(':')) {
      for (const m of text.matchAll(IPV6_CANDIDATE)) {
        if (isIPv6(m[0]) && (!ignoredIp(m[0]) || vocabulary.ips.has(m[0].toLowerCase()))) candidates.push({ start: m.index, end: m.index + m[0].length, kind: 'ip', key: m[0].toLowerCase(), real: m[0], priority: 3 });
      }
    }
    if (candidates.length === 0) return [];
    // Longest first, then by priority; kept disjoint (and clear of placeholders) in start order,
    // so one binary search finds the only span a candidate could overlap.
    const taken: { start: number; end: number; span?: Span }[] = [...text.matchAll(PLACEHOLDER)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
    candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || b.priority - a.priority || a.start - b.start);
    for (const c of candidates) {
      let lo = 0;
      let hi = taken.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (taken[mid]!.end > c.start) hi = mid;
        else lo = mid + 1;
      }
      if (lo < taken.length && taken[lo]!.start < c.end) continue;
      taken.splice(lo, 0, { start: c.start, end: c.end, span: c });
    }
    return taken.flatMap((t) => (t.span ? [t.span] : []));
  }

  private pseudonymFor(span: Span): string {
    const mapKey = span.literal ? span.key : `${span.kind}:${span.key}`;
    const known = this.forward.get(mapKey);
    if (known) return known;
    let pseudonym: string;
    if (span.literal && !this.backward.has(span.real.toLowerCase())) {
      // Pseudonym-shaped text in real data keeps its own name (it stands for itself).
      pseudonym = span.real.toLowerCase();
    } else {
      let n = this.counters.get(span.kind) ?? 0;
      do n++;
      while (this.backward.has(`${span.kind}-${n}`));
      this.counters.set(span.kind, n);
      pseudonym = `${span.kind}-${n}`;
    }
    this.forward.set(mapKey, pseudonym);
    this.backward.set(pseudonym, span.real);
    return pseudonym;
  }
}
