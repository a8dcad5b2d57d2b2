/**
 * Detection rules. Each finds candidate spans; the Redactor resolves overlaps (higher
 * priority, then longer span wins) and replaces them with placeholders.
 *
 * The provider token formats (prefixes, alphabets, lengths) follow the public documentation of
 * each provider; several were cross-checked against gitleaks' rule set
 * (https://github.com/gitleaks/gitleaks, config/gitleaks.toml, MIT License, Copyright (c) 2019
 * Zachary Rice). The expressions here are written for this module, not copied.
 */
import { isPathValue, isPlaceholderValue, looksRandom } from './values';

export interface Candidate {
  start: number;
  end: number;
  type: string;
  priority: number;
}

export interface Rule {
  /** Finding type, the name inside the placeholder (`[REDACTED:<type>#n]`); generic rules name it per match. */
  readonly name: string;
  /** Cheap prefilter: the rule runs only when the lower-cased text contains one of these. */
  readonly keywords: readonly string[];
  scan(text: string, out: Candidate[]): void;
}

/**
 * How the one-pass anchor scan (anchors.ts) drives a built-in rule. Every match of the rule
 * contains one of `anchors`, at a known distance from the match's start, so instead of running
 * the rule's expression over the whole text, the scan finds all anchors of all rules in one pass
 * and the rule tries its expression (sticky) only where a match can start. `scanAt` gives the
 * same candidates as `scan` (src/main/core/privacy/redactor.test.ts compares the two).
 */
export interface Anchored {
  /** Literal text; every match of the rule contains one of these. */
  readonly anchors: readonly string[];
  /** Anchors match whatever the ASCII case (the rule's expression has the `i` flag). */
  readonly ignoreCase: boolean;
  /** Pushes the positions where a match containing the anchor found at `at` can start. */
  starts(text: string, at: number, out: number[]): void;
  /** What `scan(text, out)` finds, trying the expression only at `starts` (ascending). */
  scanAt(text: string, starts: readonly number[], out: Candidate[]): void;
}

/** The anchored form of each built-in rule (a rule not in here runs as before, behind its keywords). */
export const ANCHORED = new WeakMap<Rule, Anchored>();

/** Candidate starts `at - back[1]` … `at - back[0]`. */
function window(back: readonly [number, number]): Anchored['starts'] {
  const [near, far] = back;
  if (near === 0 && far === 0) return (_text, at, out) => void out.push(at);
  return (_text, at, out) => {
    for (let p = Math.max(0, at - far); p <= at - near; p++) out.push(p);
  };
}

const PROVIDER = 50;
const STRUCTURE = 40; // headers, URLs, hashes
const KEYED = 30; // key = value
const PEM = 100;

interface RegexRuleSpec {
  name: string;
  keywords: string[];
  /** Global regex; the secret is capture group `group` (0 = the whole match). */
  re: RegExp;
  group?: number;
  priority?: number;
  valid?: (secret: string, match: RegExpExecArray) => boolean;
  /**
   * For the anchor scan: literal text every match contains (matched ignoring case when `re` has
   * the `i` flag), and where a match starts relative to it: `back` [near, far] means between
   * `far` and `near` characters before the anchor (default [0, 0], the match starts with it);
   * `starts` finds them by other means; `gate` runs the whole expression when an anchor occurs.
   */
  anchors: string[];
  back?: [number, number];
  starts?: Anchored['starts'];
  gate?: boolean;
  /**
   * `re` is this head, then a lazy search along the rest of the line (`[^\r\n]*?…`): where it
   * fails although the head matches, it fails from every later start on that line, so the
   * anchored scan skips them (no rescanning a long line once per head on it).
   */
  lineHead?: RegExp;
}

function regexRule(spec: RegexRuleSpec): Rule {
  const group = spec.group ?? 0;
  const priority = spec.priority ?? PROVIDER;
  const flags = [...new Set(`${spec.re.flags}g${group > 0 ? 'd' : ''}`)].join('');
  const re = new RegExp(spec.re.source, flags);
  const sticky = new RegExp(spec.re.source, `${flags.replace('g', '')}y`);
  const head = spec.lineHead ? new RegExp(spec.lineHead.source, `${spec.lineHead.flags.replace('g', '')}y`) : null;
  const take = (m: RegExpExecArray, out: Candidate[]): void => {
    const secret = m[group];
    if (secret === undefined || secret.length === 0) return;
    if (spec.valid && !spec.valid(secret, m)) return;
    const start = group === 0 ? m.index : (m.indices?.[group]?.[0] ?? m.index);
    out.push({ start, end: start + secret.length, type: spec.name, priority });
  };
  const rule: Rule = {
    name: spec.name,
    keywords: spec.keywords,
    scan(text, out) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        take(m, out);
      }
    },
  };
  ANCHORED.set(rule, {
    anchors: spec.anchors,
    ignoreCase: spec.re.flags.includes('i'),
    starts: spec.gate ? (_text, _at, out) => void out.push(0) : (spec.starts ?? window(spec.back ?? [0, 0])),
    scanAt: spec.gate
      ? (text, _starts, out) => rule.scan(text, out)
      : (text, starts, out) => {
          // As the global scan: the leftmost match at or after the end of the previous one.
          let next = 0;
          let tried = -1;
          for (const at of starts) {
            if (at < next || at === tried) continue;
            tried = at;
            sticky.lastIndex = at;
            const m = sticky.exec(text);
            if (!m) {
              if (head) {
                head.lastIndex = at;
                if (head.test(text)) next = lineEnd(text, at);
              }
              continue;
            }
            next = at + Math.max(1, m[0].length);
            if (m[0].length > 0) take(m, out);
          }
        },
  });
  return rule;
}

/** Where the line that `at` is on ends (its \n or \r, or the end of the text). */
function lineEnd(text: string, at: number): number {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
}

/** [A-Za-z0-9_.-], the characters of a key name. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** \w */
function isWordChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95;
}

/** [\w.:-], the characters of an XML tag name. */
function isTagChar(c: number): boolean {
  return isKeyChar(c) || c === 58;
}

/** [a-z0-9+.-] whatever the case, the characters of a URL scheme. */
function isSchemeChar(c: number): boolean {
  return isKeyChar(c) ? c !== 95 : c === 43;
}

/**
 * Where the run of `isRun` characters that ends at `at` begins, looking back at most `limit`
 * characters; -1 when it begins further back.
 */
function runStart(text: string, at: number, isRun: (c: number) => boolean, limit: number): number {
  const stop = Math.max(0, at - limit);
  let i = at;
  while (i > stop && isRun(text.charCodeAt(i - 1))) i--;
  return i === stop && i > 0 && isRun(text.charCodeAt(i - 1)) ? -1 : i;
}

const B64 = 'A-Za-z0-9+/';

/**
 * A private key block from its BEGIN line to the first END line of the same type: what
 * /-----BEGIN (T)-----[\s\S]*?-----END \1-----/g matches, without searching the rest of the text
 * again for every BEGIN line that has no END (once there is no END of a type after a BEGIN,
 * there is none after the later ones either).
 */
function pemBlockRule(): Rule {
  const header = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
  const rule: Rule = {
    name: 'private-key',
    keywords: ['private key'],
    scan(text, out) {
      const unended = new Set<string>();
      header.lastIndex = 0;
      for (let m = header.exec(text); m; m = header.exec(text)) {
        const type = m[1] as string;
        if (!unended.has(type)) {
          const endLine = `-----END ${type}-----`;
          const end = text.indexOf(endLine, m.index + m[0].length);
          if (end >= 0) {
            out.push({ start: m.index, end: end + endLine.length, type: 'private-key', priority: PEM + 1 });
            header.lastIndex = end + endLine.length;
            continue;
          }
          unended.add(type);
        }
        header.lastIndex = m.index + 1; // a block may begin inside this BEGIN line's dashes
      }
    },
  };
  ANCHORED.set(rule, { anchors: ['PRIVATE KEY'], ignoreCase: false, starts: (_text, _at, out) => void out.push(0), scanAt: (text, _starts, out) => rule.scan(text, out) });
  return rule;
}

/** Provider formats: a recognisable prefix and alphabet, no key name needed. */
const providerRules: Rule[] = [
  regexRule({ name: 'aws-access-key-id', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'], anchors: ['A3T', 'AKIA', 'ASIA', 'ABIA', 'ACCA'], re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g }),
  regexRule({ name: 'github-token', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], anchors: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], re: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g }),
  regexRule({ name: 'github-token', keywords: ['github_pat_'], anchors: ['github_pat_'], re: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g }),
  regexRule({ name: 'gitlab-token', keywords: ['gl'], anchors: ['glpat-', 'gldt-', 'glptt-', 'glrt-', 'glcbt-', 'gloas-', 'glft-', 'glimt-', 'glsoat-', 'glagent-'], re: /\bgl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|soat|agent)-[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'slack-token', keywords: ['xox', 'xapp-'], anchors: ['xox', 'xapp-'], re: /\b(?:xox[abposre]|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}/g }),
  regexRule({ name: 'slack-webhook', keywords: ['hooks.slack.com'], anchors: ['http://hooks.slack.com/', 'https://hooks.slack.com/'], re: /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{16,}/g }),
  regexRule({ name: 'stripe-key', keywords: ['sk_', 'rk_', 'whsec_'], anchors: ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_', 'whsec_'], re: /\b(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{24,})\b/g }),
  regexRule({ name: 'anthropic-api-key', keywords: ['sk-ant-'], anchors: ['sk-ant-'], re: /\bsk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'openai-api-key', keywords: ['sk-'], anchors: ['sk-'], re: /\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b/g }),
  regexRule({ name: 'google-api-key', keywords: ['aiza'], anchors: ['AIza'], re: /\bAIza[A-Za-z0-9_-]{30,40}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'twilio-api-key', keywords: ['sk'], anchors: ['SK'], re: /\bSK[0-9a-fA-F]{32}\b/g }),
  regexRule({ name: 'sendgrid-api-key', keywords: ['sg.'], anchors: ['SG.'], re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'npm-token', keywords: ['npm_'], anchors: ['npm_'], re: /\bnpm_[A-Za-z0-9]{36}\b/g }),
  regexRule({ name: 'pypi-token', keywords: ['pypi-'], anchors: ['pypi-AgEIcHlwaS5vcmc'], re: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,}/g }),
  regexRule({ name: 'docker-token', keywords: ['dckr_'], anchors: ['dckr_pat_', 'dckr_oat_'], re: /\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'jwt', keywords: ['eyj'], anchors: ['eyJ'], re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g }),
  regexRule({ name: 'mailgun-api-key', keywords: ['key-'], anchors: ['key-'], re: /\bkey-[0-9a-f]{32}\b/g }),
  regexRule({ name: 'vault-token', keywords: ['hvs.', 'hvb.', 'hvr.'], anchors: ['hvs.', 'hvb.', 'hvr.'], re: /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g }),
  regexRule({ name: 'digitalocean-token', keywords: ['_v1_'], anchors: ['dop_v1_', 'doo_v1_', 'dor_v1_'], re: /\bdo[por]_v1_[a-f0-9]{64}\b/g }),
  regexRule({ name: 'telegram-bot-token', keywords: [':aa'], anchors: [':AA'], back: [8, 10], re: /\b\d{8,10}:AA[A-Za-z0-9_-]{32,34}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'age-secret-key', keywords: ['age-secret-key-1'], anchors: ['AGE-SECRET-KEY-1'], re: /\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b/g }),
  regexRule({ name: 'shopify-token', keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'], anchors: ['shpat_', 'shpca_', 'shppa_', 'shpss_'], re: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g }),
  regexRule({ name: 'huggingface-token', keywords: ['hf_'], anchors: ['hf_'], re: /\bhf_[A-Za-z]{34}\b/g }),
  regexRule({ name: 'datadog-api-key', keywords: ['ddapi_', 'ddap_'], anchors: ['ddapi_', 'ddap_'], re: /\bddap(?:i)?_[A-Za-z0-9]{30,}\b/g }),
  regexRule({ name: 'azure-sas', keywords: ['sig='], anchors: ['?sig=', '&sig=', ';sig='], re: /[?&;]sig=([A-Za-z0-9%+/=]{16,})/g, group: 1 }),
  regexRule({
    name: 'azure-storage-key',
    keywords: ['accountkey', 'sharedaccesskey'],
    anchors: ['accountkey=', 'sharedaccesskey='],
    re: /\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{20,})/gi,
    group: 1,
  }),
  // A PEM private key as base64 (kubeconfig client-key-data, Kubernetes secrets): LS0tLS1CRUdJTi = "-----BEGIN".
  regexRule({
    name: 'private-key',
    keywords: ['ls0tls1crudjti'],
    anchors: ['LS0tLS1CRUdJTi'],
    re: new RegExp(`LS0tLS1CRUdJTi[${B64}]{16,}={0,2}`, 'g'),
    priority: PEM,
    valid: (s) => /PRIVATE KEY/.test(Buffer.from(s.slice(0, 80), 'base64').toString('latin1')),
  }),
];

/** Structures: PEM blocks, credentials in URLs and headers, password hashes. */
const structureRules: Rule[] = [
  // Whole PEM / OpenSSH / PGP private key blocks, also inside JSON strings (literal \n) and indented YAML.
  pemBlockRule(),
  // A block cut short (a capped tool result, a truncated log line): to the end of the base64 run.
  regexRule({
    name: 'private-key',
    keywords: ['private key'],
    anchors: ['PRIVATE KEY'],
    gate: true,
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[A-Za-z0-9+/=\s:,-])*/g,
    priority: PEM,
  }),
  regexRule({ name: 'putty-private-key', keywords: ['private-lines'], anchors: ['Private-Lines: '], re: /Private-Lines: \d+\r?\n(?:[A-Za-z0-9+/=]+\r?\n?)+/g, priority: PEM }),
  // user:password@ in any scheme (postgres://, mongodb+srv://, https://, amqp://, redis://).
  regexRule({
    name: 'url-password',
    keywords: ['://'],
    anchors: ['://'],
    // The scheme: 2 to 31 characters before `://`, from a letter at a word boundary.
    starts: (text, at, out) => {
      const from = runStart(text, at, isSchemeChar, 31);
      for (let p = from < 0 ? at - 31 : from; p <= at - 2; p++) {
        if (isLetter(text.charCodeAt(p)) && (p === 0 || !isWordChar(text.charCodeAt(p - 1)))) out.push(p);
      }
    },
    // The password runs to the LAST `@` before the path: people write `#` and `@` in
    // passwords unencoded (`postgres://app:p@ss#w0rd@db/x`), and stopping at the first
    // one would leave the rest of the password in clear.
    re: /\b[a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/?#@"'<>\[\]]{0,256}:([^\s/?"'<>]{1,256})@[A-Za-z0-9[]/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => !isPlaceholderValue(s),
  }),
  // Authorization / Proxy-Authorization: the credentials after the scheme, to the end of the header value.
  regexRule({
    name: 'authorization',
    keywords: ['authorization'],
    anchors: ['authorization'],
    back: [0, 6],
    re: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest|negotiate|ntlm|bot|apikey|sso-key|aws4-hmac-sha256|gitlab-token)\s+)?([^\s"'][^"'\r\n]*)/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => !isPlaceholderValue(s) && s.length >= 6,
  }),
  regexRule({
    name: 'authorization',
    keywords: ['digest'],
    anchors: ['authorization'],
    back: [0, 6],
    re: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?digest\s+([^\r\n]+)/gi,
    group: 1,
    priority: STRUCTURE + 1,
  }),
  regexRule({ name: 'bearer-token', keywords: ['bearer'], anchors: ['bearer'], re: /\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi, group: 1, priority: STRUCTURE }),
  regexRule({
    name: 'cookie',
    keywords: ['cookie'],
    anchors: ['cookie'],
    back: [0, 4],
    re: /\b(?:set-)?cookie["']?\s*[:=]\s*["']?([^"'\r\n]*=[^"'\r\n]*)/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => s.trim().length >= 6,
  }),
  // crypt(3) hashes: /etc/shadow, .htpasswd ($apr1$), bcrypt, yescrypt, argon2.
  regexRule({
    name: 'password-hash',
    keywords: ['$'],
    anchors: ['$1$', '$2$', '$2a$', '$2b$', '$2x$', '$2y$', '$5$', '$6$', '$7$', '$y$', '$gy$', '$sha1$', '$md5$', '$apr1$', '$argon2id$', '$argon2i$', '$argon2d$'],
    re: /\$(?:1|2[abxy]?|5|6|7|y|gy|sha1|md5|apr1|argon2(?:id|i|d))\$[A-Za-z0-9./$=,+-]{8,}/g,
    priority: STRUCTURE,
  }),
  regexRule({ name: 'password-hash', keywords: ['{ssha', '{sha'], anchors: ['{ssha', '{sha'], re: /\{S?SHA(?:256|512)?\}[A-Za-z0-9+/]{20,}={0,2}/gi, priority: STRUCTURE }),
  // Docker config.json / registry auths: "auth": "base64(user:pass)", identity and registry tokens.
  regexRule({
    name: 'docker-auth',
    keywords: ['auth', 'token'],
    anchors: ['"auth"', '"identitytoken"', '"registrytoken"'],
    re: /"(?:auth|identitytoken|registrytoken)"\s*:\s*"([A-Za-z0-9+/=._-]{8,})"/gi,
    group: 1,
    priority: STRUCTURE,
  }),
  // XML: <password>…</password>, <apiKey>…</apiKey>.
  regexRule({
    name: 'secret',
    keywords: ['pass', 'secret', 'token', 'key'],
    anchors: ['password>', 'passwd>', 'secret>', 'token>', 'apikey>', 'api_key>', 'accesskey>', 'secretkey>', 'privatekey>'],
    // `<` right before the tag name that ends with the anchor.
    starts: (text, at, out) => {
      const from = runStart(text, at, isTagChar, Number.POSITIVE_INFINITY);
      if (from > 0 && text.charCodeAt(from - 1) === 60) out.push(from - 1);
    },
    re: /<((?:[A-Za-z_][\w.:-]*)?(?:password|passwd|secret|token|apikey|api_key|accesskey|secretkey|privatekey))>([^<]{1,512})<\/\1>/gi,
    group: 2,
    priority: KEYED,
    valid: (s) => !isPlaceholderValue(s) && !isPathValue(s),
  }),
  // mysql -p'…' / -p"…" (attached), and -pVALUE on a mysql-family command line.
  regexRule({ name: 'password', keywords: ['-p'], anchors: ["-p'"], re: /(?<=\s)-p'([^'\r\n]+)'/g, group: 1, priority: KEYED }),
  regexRule({ name: 'password', keywords: ['-p'], anchors: ['-p"'], re: /(?<=\s)-p"([^"\r\n]+)"/g, group: 1, priority: KEYED }),
  regexRule({
    name: 'password',
    keywords: ['mysql', 'mariadb'],
    anchors: ['mysql', 'mariadb'],
    lineHead: /\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b/,
    re: /\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\r\n]*?\s-p([^\s'"-][^\s'"]*)/g,
    group: 1,
    priority: KEYED,
  }),
  regexRule({ name: 'password', keywords: ['redis-cli'], anchors: ['redis-cli'], lineHead: /\bredis-cli\b/, re: /\bredis-cli\b[^\r\n]*?\s(?:-a|--pass)\s+['"]?([^\s'"]+)/g, group: 1, priority: KEYED }),
  regexRule({ name: 'password', keywords: ['sshpass'], anchors: ['sshpass'], re: /\bsshpass\s+-p\s*['"]?([^\s'"]+)/g, group: 1, priority: KEYED }),
  // Config directives separated by whitespace: redis requirepass/masterauth, netrc "password x".
  regexRule({
    name: 'password',
    keywords: ['requirepass', 'masterauth', 'password'],
    anchors: ['requirepass', 'masterauth', 'login'],
    back: [0, 1],
    re: /(?:^|[\s;])(?:requirepass|masterauth|(?:login\s+\S+\s+)password)\s+["']?([^\s"']+)/gim,
    group: 1,
    priority: KEYED,
    valid: (s) => !isPlaceholderValue(s),
  }),
];

// ---- key = value --------------------------------------------------------------------------

/** Key names whose values are secrets whatever they look like. */
const STRONG_KEY = /(?:passw(?:or)?d|passphrase|passwort|secret|credentials?|(?:^|[_.-])(?:pass|pwd|pw)|^pwd|requirepass|masterauth)$/;
/** Key names whose values are secrets when they look machine-generated. */
const WEAK_KEY = /(?:secret[_.-]?[a-z]+|key[_.-]?base|token|api[_.-]?key|apikey|[_.-]key|[a-z]key|key[_.-]?data|auth|signature|dsn|session[_.-]?id|sessid|webhook[_.-]?url|conn(?:ection)?[_.-]?str(?:ing)?)$/;
/** Key names that end like secret keys but are not. */
const NOT_SECRET_KEY = /public|primary|foreign|sort|cache|partition|idempot|hotkey|monkey|turkey|whiskey|jockey|hockey|donkey|keyboard|^key$|(?:^|[_.-])(?:host|ssh|gpg|pgp|sign(?:ing)?[_.-]?pub|kid|lookup|map|hash|row|search|index|dedup|group|unique|object|s3|cache)[_.-]?key$|_id$|oauth$|token[_.-]?(?:url|uri|endpoint|type|file|path|ttl|expiry)$|tokenizer|tokens$/;

// The key must contain a hint word, so ordinary `word word` text is not even matched.
const KEY_VALUE = /(?<![A-Za-z0-9_.$-])(-{1,2})?(?=[A-Za-z])([A-Za-z0-9_.-]{0,60}?(?:pass|pwd|pw|secret|cred|token|key|auth|sig|dsn|sess|webhook|conn)[A-Za-z0-9_.-]{0,24}?)(["']?)(\s*(?::=|=>|\?=|=|:)[ \t]*|[ \t]+)(?=\S)/gi;
const KEY_HINT = /pass|pwd|pw\b|secret|cred|token|key|auth|sig|dsn|sess|webhook|conn/i;

function typeForKey(key: string): string {
  if (/aws.*secret|secret[_.-]?access[_.-]?key/.test(key)) return 'aws-secret-key';
  if (/pass|pwd|pw$|auth$/.test(key) && !/token|key/.test(key)) return 'password';
  if (/azure|storage|accountkey|account[_.-]key/.test(key)) return 'azure-storage-key';
  if (/secret/.test(key)) return 'secret';
  if (/token/.test(key)) return 'token';
  if (/key/.test(key)) return 'api-key';
  return 'secret';
}

/**
 * `KEY=value`, `key: value`, `"key": "value"`, `key = 'value'`, `--key=value`, `--key value`
 * in env files, YAML, JSON, INI/TOML, command lines and logs. The value is judged by the key:
 * strong keys (password, secret) take any real value, weak keys (token, api_key, auth) only a
 * random-looking one.
 */
const keyValueRule: Rule = {
  name: 'key-value',
  keywords: ['pass', 'pwd', 'pw', 'secret', 'cred', 'token', 'key', 'auth', 'sig', 'dsn', 'sess', 'webhook', 'conn'],
  scan(text, out) {
    const re = new RegExp(KEY_VALUE.source, 'gi');
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const end = judgeKeyValue(text, m, out);
      if (end > re.lastIndex) re.lastIndex = end;
    }
  },
};

const KEY_VALUE_AT = new RegExp(KEY_VALUE.source, 'iy');
ANCHORED.set(keyValueRule, {
  anchors: ['pass', 'pwd', 'pw', 'secret', 'cred', 'token', 'key', 'auth', 'sig', 'dsn', 'sess', 'webhook', 'conn'],
  ignoreCase: true,
  // A match starts where its run of key characters starts (the look-behind allows no key
  // character before it), at most 2 dashes and 60 characters before the hint word.
  starts(text, at, out) {
    const from = runStart(text, at, isKeyChar, 62);
    if (from >= 0) out.push(from);
  },
  scanAt(text, starts, out) {
    let next = 0;
    let tried = -1;
    for (const at of starts) {
      if (at < next || at === tried) continue;
      tried = at;
      KEY_VALUE_AT.lastIndex = at;
      const m = KEY_VALUE_AT.exec(text);
      if (!m) continue;
      next = Math.max(at + m[0].length, judgeKeyValue(text, m, out));
    }
  },
});

/** Judges one KEY_VALUE match; pushes the value when it is a secret and returns where it ends (else 0). */
function judgeKeyValue(text: string, m: RegExpExecArray, out: Candidate[]): number {
  const dashes = m[1] ?? '';
  const key = (m[2] ?? '').toLowerCase();
  const sep = m[4] ?? '';
  if (!KEY_HINT.test(key) || NOT_SECRET_KEY.test(key)) return 0;
  const strong = STRONG_KEY.test(key);
  if (!strong && !WEAK_KEY.test(key)) return 0;
  // Whitespace alone separates a value only after a command-line flag (--password x).
  if (sep.trim() === '' && dashes === '') return 0;
  const valueStart = m.index + m[0].length;
  const value = readValue(text, valueStart, sep.includes(':') && !sep.includes('=') && atLineStart(text, m.index));
  if (!value) return 0;
  const v = value.text;
  if (isPlaceholderValue(v) || isPathValue(v)) return 0;
  if (strong ? v.length < 3 || /^[0-9]{1,3}$/.test(v) : !looksRandom(v)) return 0;
  // Prose: "password: for the admin user" (a quoted value is always taken).
  if (!value.quoted && strong && /^[a-z]{2,}$/.test(v) && sep.trim() === '') return 0;
  out.push({ start: value.start, end: value.start + v.length, type: typeForKey(key), priority: KEYED });
  return value.start + v.length;
}

const BARE_VALUE_END = /[\s"'`;&<>\\]/;

/** Does this character end a bare value: [\s"'`;&<>\\] (ASCII from a table). */
function endsBareValue(c: number): boolean {
  if (c < 128) return ASCII_BARE_END[c] === 1;
  return BARE_VALUE_END.test(String.fromCharCode(c));
}
const ASCII_BARE_END = Uint8Array.from({ length: 128 }, (_, c) => Number(BARE_VALUE_END.test(String.fromCharCode(c))));

function atLineStart(text: string, index: number): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
    if (c !== 32 && c !== 9 && c !== 45 /* - */) return false;
  }
  return true;
}

/** Reads a quoted or bare value; a YAML `key: value` at line start takes the rest of the line. */
function readValue(text: string, start: number, restOfLine: boolean): { start: number; text: string; quoted: boolean } | null {
  const q = text[start];
  if (q === '"' || q === "'" || q === '`') {
    let i = start + 1;
    while (i < text.length && text[i] !== q && text[i] !== '\n') {
      if (text[i] === '\\' && q === '"') i++;
      i++;
    }
    // A value inside a JSON-escaped string: \"secret\"
    let inner = text.slice(start + 1, i);
    if (inner.endsWith('\\')) inner = inner.slice(0, -1);
    return inner ? { start: start + 1, text: inner, quoted: true } : null;
  }
  if (text.startsWith('\\"', start)) {
    const end = text.indexOf('\\"', start + 2);
    const inner = text.slice(start + 2, end < 0 ? undefined : end);
    return inner && !inner.includes('\n') ? { start: start + 2, text: inner, quoted: true } : null;
  }
  let end = start;
  if (restOfLine) {
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
    let value = text.slice(start, end).replace(/\s+#.*$/, '').trimEnd();
    value = value.replace(/,$/, '');
    return value ? { start, text: value, quoted: false } : null;
  }
  while (end < text.length && !endsBareValue(text.charCodeAt(end))) end++;
  let value = text.slice(start, end);
  value = value.replace(/[,)\]}]+$/, '');
  return value ? { start, text: value, quoted: false } : null;
}

export const RULES: readonly Rule[] = [...structureRules, ...providerRules, keyValueRule];
