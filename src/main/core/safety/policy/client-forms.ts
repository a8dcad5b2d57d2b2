import type { CheckInput } from './check-input';
import type { ShellWord } from './words';

/**
 * Read-only forms of network and database clients that are otherwise asked about, written
 * as exact descriptions of the harmless form (the asking rule uses `check: not:NAME`):
 * `openssl s_client` whose standard input is /dev/null or a here-string `Q` (nothing the
 * command line does not show is sent), and `psql -c` with read-only statements.
 */

const literal = (w: ShellWord | null | undefined): w is ShellWord => !!w && w.static && !w.glob && !w.splittable;

/** The redirection that decides fd 0 (bash applies them left to right): its text, or null when stdin is inherited. */
function stdinRedirect(input: CheckInput): string | null {
  let last: string | null = null;
  for (const r of input.redirects ?? []) {
    const m = /^(\{[^}]*\}|\d*)(<<<|<<-?|<>|<&|<|>|&>|>&)/.exec(r.text);
    if (!m) return 'unknown';
    const fd = m[1] === '' ? (m[2]?.startsWith('<') ? '0' : '1') : m[1];
    if (fd === '0') last = r.text;
  }
  return last;
}

/** Options of `openssl s_client` that only shape the handshake or what is printed (values literal). */
const S_CLIENT_FLAGS = new Set(['-connect', '-servername', '-showcerts', '-brief', '-status', '-verify_return_error', '-verify_hostname', '-CAfile', '-CApath', '-starttls', '-tls1_2', '-tls1_3', '-no_tls1_3', '-4', '-6', '-state', '-prexit', '-no_ticket', '-alpn', '-noservername']);
const S_CLIENT_VALUES = new Set(['-connect', '-servername', '-verify_hostname', '-CAfile', '-CApath', '-starttls', '-alpn']);

/**
 * openssl s_client with its standard input from /dev/null or the here-string `Q` (it
 * sends nothing and closes): only the literal host, port and names of the command line reach
 * the other host. Without that redirection it forwards whatever arrives on stdin.
 */
function opensslProbe(input: CheckInput): boolean {
  const { program, args } = input;
  if (program !== 'openssl' || args.positionals[0]?.text !== 's_client' || !literal(args.positionals[0])) return false;
  const stdin = stdinRedirect(input);
  if (!stdin || !/^0?<\s*\/dev\/null$|^0?<<<\s*(Q|'Q'|"Q")$/.test(stdin)) return false;
  if (args.positionals.length > 2 || !args.positionals.every(literal)) return false;
  return args.flags.every((f) => S_CLIENT_FLAGS.has(f.name) && literal(f.word) && (S_CLIENT_VALUES.has(f.name) ? literal(f.value) : f.value === null));
}

/**
 * Functions a read-only psql statement may call: they read sizes, times, versions and
 * names, never files, settings of other sessions, sequences or large objects.
 */
const PG_SAFE_FUNCTIONS = new Set([
  'count', 'now', 'version', 'current_database', 'current_schema', 'current_user', 'session_user', 'current_timestamp', 'current_date',
  'pg_size_pretty', 'pg_database_size', 'pg_relation_size', 'pg_total_relation_size', 'pg_table_size', 'pg_indexes_size',
  'pg_postmaster_start_time', 'pg_is_in_recovery', 'pg_last_xact_replay_timestamp', 'pg_current_wal_lsn', 'pg_last_wal_receive_lsn', 'pg_last_wal_replay_lsn', 'pg_wal_lsn_diff',
  'age', 'date_trunc', 'extract', 'round', 'coalesce', 'lower', 'upper', 'length', 'to_char',
]);
/** Words before `(` that are syntax, not calls. */
const PG_PAREN_KEYWORDS = new Set(['in', 'from', 'join', 'as', 'and', 'or', 'not', 'on', 'where', 'by', 'select', 'having', 'exists', 'any', 'all', 'filter', 'over', 'using', 'values', 'distinct', 'when', 'then', 'else', 'is', 'like', 'ilike', 'between', 'explain']);
/** Built-in comparison and arithmetic operators; any other run of operator characters may be a user-defined operator. */
const PG_OPERATORS = new Set(['+', '-', '*', '/', '%', '=', '<', '>', '<=', '>=', '<>', '!=']);
/** Catalogs that hold password hashes or stored credentials. */
export const PG_CREDENTIAL_CATALOGS = /\bpg_(shadow|authid|user_mappings?)\b/i;
const PG_FORBIDDEN_WORDS = /\b(into|for|copy|analyze|analyse|insert|update|delete|merge|create|drop|alter|truncate|grant|revoke|call|do|execute|prepare|lock|listen|notify|set|reset|vacuum|cluster|reindex|refresh|import|load|security|comment|discard|checkpoint|with)\b/i;

/** One statement (no trailing `;`) that only reads: SELECT/SHOW/EXPLAIN (no ANALYZE), or a `\d...`/`\l` listing. */
export function pgStatementReadOnly(statement: string): boolean {
  const st = statement.trim();
  if (/^\\(d[a-zA-Z+]*|l\+?)(\s+[A-Za-z0-9_.*]+)?$/.test(st)) return !PG_CREDENTIAL_CATALOGS.test(st);
  if (!/^(select|show|explain)\s/i.test(`${st} `)) return false;
  // No chains, dollar quoting, comments, quoted identifiers, psql variables or backslash commands,
  // and only the common operators (a user-defined operator such as `+++` calls any function).
  if (/[;$"\\:`]|--|\/\*/.test(st) || /[^A-Za-z0-9_.,*()'=<>!+\-/%\s]/.test(st.replace(/'[^']*'/g, "''"))) return false;
  if (PG_FORBIDDEN_WORDS.test(st.replace(/'[^']*'/g, "''")) || PG_CREDENTIAL_CATALOGS.test(st)) return false;
  // String literals are data; every identifier followed by `(` must be a harmless function.
  const code = st.replace(/'[^']*'/g, "''");
  for (const m of code.matchAll(/[+\-*/<>=!%]+/g)) if (!PG_OPERATORS.has(m[0])) return false;
  if ((st.match(/'/g) ?? []).length % 2 !== 0) return false;
  for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_.]*)\s*\(/g)) {
    const name = (m[1] as string).toLowerCase();
    if (!PG_SAFE_FUNCTIONS.has(name) && !PG_PAREN_KEYWORDS.has(name)) return false;
  }
  return true;
}

const PSQL_READ_FLAGS = new Set(['-c', '--command', '-h', '--host', '-p', '--port', '-U', '--username', '-d', '--dbname', '-w', '--no-password', '-X', '--no-psqlrc', '-A', '--no-align', '-t', '--tuples-only', '-x', '--expanded', '-q', '--quiet']);
const PSQL_VALUE_FLAGS = new Set(['-c', '--command', '-h', '--host', '-p', '--port', '-U', '--username', '-d', '--dbname']);

/** psql -c with only read-only statements (pgStatementReadOnly), literal options and at most a database and user. */
function psqlReadQuery({ program, args }: CheckInput): boolean {
  if (program !== 'psql') return false;
  const commands = args.flags.filter((f) => f.name === '-c' || f.name === '--command');
  if (commands.length === 0 || args.positionals.length > 2 || !args.positionals.every(literal)) return false;
  if (!args.flags.every((f) => PSQL_READ_FLAGS.has(f.name) && literal(f.word) && (PSQL_VALUE_FLAGS.has(f.name) ? literal(f.value) : f.value === null))) return false;
  return commands.every((f) => {
    const text = (f.value as ShellWord).text.trim().replace(/;\s*$/, '');
    return text.length > 0 && pgStatementReadOnly(text);
  });
}

/** Some word of the command names a catalog of password hashes or stored credentials. */
function psqlCredentialCatalog({ program, args }: CheckInput): boolean {
  return program === 'psql' && args.words.some((w) => PG_CREDENTIAL_CATALOGS.test(w.text));
}

export const CLIENT_FORM_CHECKS = {
  openssl_probe: opensslProbe,
  psql_read_query: psqlReadQuery,
  psql_credential_catalog: psqlCredentialCatalog,
};
