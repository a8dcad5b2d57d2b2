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
}

function regexRule(spec: RegexRuleSpec): Rule {
  const group = spec.group ?? 0;
  const priority = spec.priority ?? PROVIDER;
  const flags = [...new Set(`${spec.re.flags}g${group > 0 ? 'd' : ''}`)].join('');
  const re = new RegExp(spec.re.source, flags);
  return {
    name: spec.name,
    keywords: spec.keywords,
    scan(text, out) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const secret = m[group];
        if (secret === undefined || secret.length === 0) continue;
        if (spec.valid && !spec.valid(secret, m)) continue;
        const start = group === 0 ? m.index : (m.indices?.[group]?.[0] ?? m.index);
        out.push({ start, end: start + secret.length, type: spec.name, priority });
      }
    },
  };
}

const B64 = 'A-Za-z0-9+/';

/** Provider formats: a recognisable prefix and alphabet, no key name needed. */
const providerRules: Rule[] = [
  regexRule({ name: 'aws-access-key-id', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'], re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g }),
  regexRule({ name: 'github-token', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], re: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g }),
  regexRule({ name: 'github-token', keywords: ['github_pat_'], re: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g }),
  regexRule({ name: 'gitlab-token', keywords: ['gl'], re: /\bgl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|soat|agent)-[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'slack-token', keywords: ['xox', 'xapp-'], re: /\b(?:xox[abposre]|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}/g }),
  regexRule({ name: 'slack-webhook', keywords: ['hooks.slack.com'], re: /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{16,}/g }),
  regexRule({ name: 'stripe-key', keywords: ['sk_', 'rk_', 'whsec_'], re: /\b(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{24,})\b/g }),
  regexRule({ name: 'anthropic-api-key', keywords: ['sk-ant-'], re: /\bsk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'openai-api-key', keywords: ['sk-'], re: /\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b/g }),
  regexRule({ name: 'google-api-key', keywords: ['aiza'], re: /\bAIza[A-Za-z0-9_-]{30,40}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'twilio-api-key', keywords: ['sk'], re: /\bSK[0-9a-fA-F]{32}\b/g }),
  regexRule({ name: 'sendgrid-api-key', keywords: ['sg.'], re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'npm-token', keywords: ['npm_'], re: /\bnpm_[A-Za-z0-9]{36}\b/g }),
  regexRule({ name: 'pypi-token', keywords: ['pypi-'], re: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,}/g }),
  regexRule({ name: 'docker-token', keywords: ['dckr_'], re: /\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}/g }),
  regexRule({ name: 'jwt', keywords: ['eyj'], re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g }),
  regexRule({ name: 'mailgun-api-key', keywords: ['key-'], re: /\bkey-[0-9a-f]{32}\b/g }),
  regexRule({ name: 'vault-token', keywords: ['hvs.', 'hvb.', 'hvr.'], re: /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g }),
  regexRule({ name: 'digitalocean-token', keywords: ['_v1_'], re: /\bdo[por]_v1_[a-f0-9]{64}\b/g }),
  regexRule({ name: 'telegram-bot-token', keywords: [':aa'], re: /\b\d{8,10}:AA[A-Za-z0-9_-]{32,34}(?![A-Za-z0-9_-])/g }),
  regexRule({ name: 'age-secret-key', keywords: ['age-secret-key-1'], re: /\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b/g }),
  regexRule({ name: 'shopify-token', keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'], re: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g }),
  regexRule({ name: 'huggingface-token', keywords: ['hf_'], re: /\bhf_[A-Za-z]{34}\b/g }),
  regexRule({ name: 'datadog-api-key', keywords: ['ddapi_', 'ddap_'], re: /\bddap(?:i)?_[A-Za-z0-9]{30,}\b/g }),
  regexRule({ name: 'azure-sas', keywords: ['sig='], re: /[?&;]sig=([A-Za-z0-9%+/=]{16,})/g, group: 1 }),
  regexRule({
    name: 'azure-storage-key',
    keywords: ['accountkey', 'sharedaccesskey'],
    re: /\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/=]{20,})/gi,
    group: 1,
  }),
  // A PEM private key as base64 (kubeconfig client-key-data, Kubernetes secrets): LS0tLS1CRUdJTi = "-----BEGIN".
  regexRule({
    name: 'private-key',
    keywords: ['ls0tls1crudjti'],
    re: new RegExp(`LS0tLS1CRUdJTi[${B64}]{16,}={0,2}`, 'g'),
    priority: PEM,
    valid: (s) => /PRIVATE KEY/.test(Buffer.from(s.slice(0, 80), 'base64').toString('latin1')),
  }),
];

/** Structures: PEM blocks, credentials in URLs and headers, password hashes. */
const structureRules: Rule[] = [
  // Whole PEM / OpenSSH / PGP private key blocks, also inside JSON strings (literal \n) and indented YAML.
  regexRule({
    name: 'private-key',
    keywords: ['private key'],
    re: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g,
    priority: PEM + 1,
  }),
  // A block cut short (a capped tool result, a truncated log line): to the end of the base64 run.
  regexRule({
    name: 'private-key',
    keywords: ['private key'],
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[A-Za-z0-9+/=\s:,-])*/g,
    priority: PEM,
  }),
  regexRule({ name: 'putty-private-key', keywords: ['private-lines'], re: /Private-Lines: \d+\r?\n(?:[A-Za-z0-9+/=]+\r?\n?)+/g, priority: PEM }),
  // user:password@ in any scheme (postgres://, mongodb+srv://, https://, amqp://, redis://).
  regexRule({
    name: 'url-password',
    keywords: ['://'],
    re: /\b[a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/?#@"'<>\[\]]{0,256}:([^\s/?#@"'<>]{1,256})@[A-Za-z0-9[]/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => !isPlaceholderValue(s),
  }),
  // Authorization / Proxy-Authorization: the credentials after the scheme, to the end of the header value.
  regexRule({
    name: 'authorization',
    keywords: ['authorization'],
    re: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest|negotiate|ntlm|bot|apikey|sso-key|aws4-hmac-sha256|gitlab-token)\s+)?([^\s"'][^"'\r\n]*)/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => !isPlaceholderValue(s) && s.length >= 6,
  }),
  regexRule({
    name: 'authorization',
    keywords: ['digest'],
    re: /\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?digest\s+([^\r\n]+)/gi,
    group: 1,
    priority: STRUCTURE + 1,
  }),
  regexRule({ name: 'bearer-token', keywords: ['bearer'], re: /\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi, group: 1, priority: STRUCTURE }),
  regexRule({
    name: 'cookie',
    keywords: ['cookie'],
    re: /\b(?:set-)?cookie["']?\s*[:=]\s*["']?([^"'\r\n]*=[^"'\r\n]*)/gi,
    group: 1,
    priority: STRUCTURE,
    valid: (s) => s.trim().length >= 6,
  }),
  // crypt(3) hashes: /etc/shadow, .htpasswd ($apr1$), bcrypt, yescrypt, argon2.
  regexRule({
    name: 'password-hash',
    keywords: ['$'],
    re: /\$(?:1|2[abxy]?|5|6|7|y|gy|sha1|md5|apr1|argon2(?:id|i|d))\$[A-Za-z0-9./$=,+-]{8,}/g,
    priority: STRUCTURE,
  }),
  regexRule({ name: 'password-hash', keywords: ['{ssha', '{sha'], re: /\{S?SHA(?:256|512)?\}[A-Za-z0-9+/]{20,}={0,2}/gi, priority: STRUCTURE }),
  // Docker config.json / registry auths: "auth": "base64(user:pass)", identity and registry tokens.
  regexRule({
    name: 'docker-auth',
    keywords: ['auth', 'token'],
    re: /"(?:auth|identitytoken|registrytoken)"\s*:\s*"([A-Za-z0-9+/=._-]{8,})"/gi,
    group: 1,
    priority: STRUCTURE,
  }),
  // XML: <password>…</password>, <apiKey>…</apiKey>.
  regexRule({
    name: 'secret',
    keywords: ['pass', 'secret', 'token', 'key'],
    re: /<((?:[A-Za-z_][\w.:-]*)?(?:password|passwd|secret|token|apikey|api_key|accesskey|secretkey|privatekey))>([^<]{1,512})<\/\1>/gi,
    group: 2,
    priority: KEYED,
    valid: (s) => !isPlaceholderValue(s) && !isPathValue(s),
  }),
  // mysql -p'…' / -p"…" (attached), and -pVALUE on a mysql-family command line.
  regexRule({ name: 'password', keywords: ['-p'], re: /(?<=\s)-p'([^'\r\n]+)'/g, group: 1, priority: KEYED }),
  regexRule({ name: 'password', keywords: ['-p'], re: /(?<=\s)-p"([^"\r\n]+)"/g, group: 1, priority: KEYED }),
  regexRule({
    name: 'password',
    keywords: ['mysql', 'mariadb'],
    re: /\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\r\n]*?\s-p([^\s'"-][^\s'"]*)/g,
    group: 1,
    priority: KEYED,
  }),
  regexRule({ name: 'password', keywords: ['redis-cli'], re: /\bredis-cli\b[^\r\n]*?\s(?:-a|--pass)\s+['"]?([^\s'"]+)/g, group: 1, priority: KEYED }),
  regexRule({ name: 'password', keywords: ['sshpass'], re: /\bsshpass\s+-p\s*['"]?([^\s'"]+)/g, group: 1, priority: KEYED }),
  // Config directives separated by whitespace: redis requirepass/masterauth, netrc "password x".
  regexRule({
    name: 'password',
    keywords: ['requirepass', 'masterauth', 'password'],
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
      const dashes = m[1] ?? '';
      const key = (m[2] ?? '').toLowerCase();
      const sep = m[4] ?? '';
      if (!KEY_HINT.test(key) || NOT_SECRET_KEY.test(key)) continue;
      const strong = STRONG_KEY.test(key);
      if (!strong && !WEAK_KEY.test(key)) continue;
      // Whitespace alone separates a value only after a command-line flag (--password x).
      if (sep.trim() === '' && dashes === '') continue;
      const valueStart = m.index + m[0].length;
      const value = readValue(text, valueStart, sep.includes(':') && !sep.includes('=') && atLineStart(text, m.index));
      if (!value) continue;
      const v = value.text;
      if (isPlaceholderValue(v) || isPathValue(v)) continue;
      if (strong ? v.length < 3 || /^[0-9]{1,3}$/.test(v) : !looksRandom(v)) continue;
      // Prose: "password: for the admin user" (a quoted value is always taken).
      if (!value.quoted && strong && /^[a-z]{2,}$/.test(v) && sep.trim() === '' ) continue;
      out.push({ start: value.start, end: value.start + v.length, type: typeForKey(key), priority: KEYED });
      re.lastIndex = Math.max(re.lastIndex, value.start + v.length);
    }
  },
};

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
  while (end < text.length && !/[\s"'`;&<>\\]/.test(text[end] as string)) end++;
  let value = text.slice(start, end);
  value = value.replace(/[,)\]}]+$/, '');
  return value ? { start, text: value, quoted: false } : null;
}

export const RULES: readonly Rule[] = [...structureRules, ...providerRules, keyValueRule];
