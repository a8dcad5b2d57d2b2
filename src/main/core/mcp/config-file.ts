import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** yaml is loaded when config.yaml is read (a cold CLI path that never touches MCP does not load it). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');
import { MCP_SERVER_NAME, McpServerEntrySchema, type McpServerEntry } from './config';

export class McpConfigError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'McpConfigError';
  }
}

export interface McpConfigRead {
  entries: Record<string, McpServerEntry>;
  /** Entries that do not validate: shown as errors, never run. */
  invalid: Record<string, string>;
}

/**
 * The `mcpServers` map of config.yaml, read fresh each time (the operator edits the file; so
 * do `mcp-servers add|remove|import`). Written with the yaml library's document API, so the
 * rest of the file, comments included, stays as it was; the file is kept 0600.
 */
export class McpConfigFile {
  constructor(readonly path: string) {}

  private document() {
    const text = existsSync(this.path) ? readFileSync(this.path, 'utf8') : '';
    const doc = yaml().parseDocument(text);
    if (doc.errors.length > 0) throw new McpConfigError('bad_request', `config file ${this.path} is not valid YAML: ${doc.errors[0]?.message}`);
    return doc;
  }

  /** Changes when the file does (size and modification time): a cheap check before reading it again. */
  stamp(): string {
    try {
      const st = statSync(this.path);
      return `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return 'none';
    }
  }

  read(): McpConfigRead {
    const raw = (this.document().toJS() as Record<string, unknown> | null)?.mcpServers;
    const entries: Record<string, McpServerEntry> = {};
    const invalid: Record<string, string> = {};
    if (raw === undefined || raw === null) return { entries, invalid };
    if (typeof raw !== 'object' || Array.isArray(raw)) return { entries, invalid: { mcpServers: 'mcpServers must be a mapping of server names to entries' } };
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (!MCP_SERVER_NAME.test(name)) {
        invalid[name] = 'MCP server names are 1-48 letters, digits, _ or -';
        continue;
      }
      const parsed = McpServerEntrySchema.safeParse(value);
      if (parsed.success) entries[name] = parsed.data;
      else invalid[name] = parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');
    }
    return { entries, invalid };
  }

  /** Adds or replaces entries (all or nothing). */
  write(changes: Record<string, McpServerEntry | null>): void {
    const doc = this.document();
    if (doc.contents === null || doc.contents === undefined) doc.contents = doc.createNode({}) as never;
    if (!yaml().isMap(doc.contents)) throw new McpConfigError('bad_request', `config file ${this.path} must be a YAML mapping`);
    for (const [name, entry] of Object.entries(changes)) {
      if (entry === null) doc.deleteIn(['mcpServers', name]);
      else doc.setIn(['mcpServers', name], doc.createNode(entry));
    }
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, doc.toString(), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}
