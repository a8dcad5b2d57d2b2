/**
 * Versioned schema migrations. Append only: a released migration is never edited,
 * a change is a new entry. Each runs in its own transaction with its version row.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'conversations, messages, tool calls, hosts, settings',
    sql: `
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        host TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user','assistant','system','tool')),
        content TEXT NOT NULL,
        engine TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_id, seq)
      );
      CREATE TABLE tool_calls (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        tool TEXT NOT NULL,
        args_json TEXT NOT NULL,
        host TEXT,
        ok INTEGER NOT NULL,
        summary TEXT NOT NULL,
        error_json TEXT,
        duration_ms REAL NOT NULL,
        started_at TEXT NOT NULL
      );
      CREATE INDEX tool_calls_message ON tool_calls(message_id);
      CREATE TABLE hosts (
        name TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT 22,
        user TEXT,
        identity_file TEXT,
        tags_json TEXT NOT NULL DEFAULT '[]',
        jump TEXT,
        privacy TEXT NOT NULL DEFAULT 'default',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'model calls (usage, cost), pending approvals, conversation memory',
    sql: `
      CREATE TABLE llm_calls (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        task TEXT NOT NULL,
        conversation_id TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        latency_ms REAL NOT NULL DEFAULT 0,
        ttft_ms REAL,
        local INTEGER NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL,
        error TEXT
      );
      CREATE INDEX llm_calls_day ON llm_calls(day);
      CREATE INDEX llm_calls_conversation ON llm_calls(conversation_id);
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        conversation_id TEXT,
        command TEXT NOT NULL,
        hosts_json TEXT NOT NULL,
        category TEXT NOT NULL,
        reasons_json TEXT NOT NULL,
        purpose TEXT,
        requester TEXT NOT NULL,
        policy_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','expired')),
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decided_at TEXT,
        decision_reason TEXT
      );
      CREATE INDEX approvals_status ON approvals(status);
      ALTER TABLE conversations ADD COLUMN summary TEXT;
      ALTER TABLE conversations ADD COLUMN summary_upto_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN pinned_json TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 4,
    name: 'host keys confirmed by the operator (Fleetmind known_hosts)',
    sql: `
      CREATE TABLE host_keys (
        endpoint TEXT NOT NULL,
        key_type TEXT NOT NULL,
        key_base64 TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        host_name TEXT NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        PRIMARY KEY (endpoint, key_type)
      );
    `,
  },
  {
    version: 5,
    name: 'remembered approvals (exact command per host or tag)',
    sql: `
      CREATE TABLE remembered_rules (
        id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('host','tag')),
        target TEXT NOT NULL,
        approval_id TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (command, scope, target)
      );
    `,
  },
  {
    version: 6,
    name: 'hash-chained audit log with signed checkpoints',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        host TEXT,
        subject TEXT,
        data_json TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log(at);
      CREATE TABLE audit_checkpoints (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT NOT NULL,
        pruned_through INTEGER NOT NULL DEFAULT 0,
        mac TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_retention_only BEFORE DELETE ON audit_log
        WHEN OLD.seq > (SELECT COALESCE(MAX(pruned_through), 0) FROM audit_checkpoints)
        BEGIN SELECT RAISE(ABORT, 'audit rows are removed only by retention, after a signed checkpoint'); END;
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    `,
  },
  {
    version: 7,
    name: 'API credentials: scoped tokens, single-use UI links, UI sessions (digests only)',
    sql: `
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE TABLE ui_links (
        link_sha256 TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE ui_sessions (
        session_sha256 TEXT PRIMARY KEY,
        uid INTEGER,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'remembered approvals record the policy version and the verdict they approved',
    // Rules remembered before this take the version and category of the approval they came
    // from (it was pending, so the decision was ask); their rule ids stay unknown (NULL).
    sql: `
      ALTER TABLE remembered_rules ADD COLUMN policy_version TEXT;
      ALTER TABLE remembered_rules ADD COLUMN verdict_decision TEXT;
      ALTER TABLE remembered_rules ADD COLUMN verdict_category TEXT;
      ALTER TABLE remembered_rules ADD COLUMN verdict_rule_ids_json TEXT;
      UPDATE remembered_rules SET
        policy_version = (SELECT a.policy_version FROM approvals a WHERE a.id = remembered_rules.approval_id),
        verdict_decision = 'ask',
        verdict_category = (SELECT a.category FROM approvals a WHERE a.id = remembered_rules.approval_id)
      WHERE approval_id IN (SELECT id FROM approvals);
    `,
  },
  {
    version: 9,
    name: 'approvals keep the results of the run they approved',
    // A requester who left (exec --wait interrupted, another face) reads them with `approvals show`.
    sql: `
      ALTER TABLE approvals ADD COLUMN results_json TEXT;
      ALTER TABLE approvals ADD COLUMN executed_at TEXT;
    `,
  },
  {
    version: 10,
    name: 'approvals store the redacted command with the sha256 of the exact one',
    // Rows from before keep NULL: their command column holds the exact text, as it was written.
    sql: `
      ALTER TABLE approvals ADD COLUMN command_sha256 TEXT;
    `,
  },
  {
    version: 11,
    name: 'metric time series: series, chunks of encoded points per time window, journal of the open window',
    // One row per (series, tier, aligned window) holding packed points (metrics/codec.ts),
    // never a row per point; the journal holds the still-open raw windows until sealed.
    sql: `
      CREATE TABLE metric_series (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        unit TEXT NOT NULL,
        source TEXT NOT NULL,
        first_at INTEGER,
        last_at INTEGER,
        rollup1_until INTEGER NOT NULL DEFAULT 0,
        rollup2_until INTEGER NOT NULL DEFAULT 0,
        UNIQUE (host, name, labels)
      );
      CREATE TABLE metric_chunks (
        series_id INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
        tier INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        points INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series_id, tier, start_at)
      );
      CREATE TABLE metric_journal (
        id INTEGER PRIMARY KEY,
        max_at INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `,
  },
  {
    version: 12,
    name: 'tool calls keep the commands they ran with bounded output, and structured findings and tables',
    // JSON, redacted before it is written like every other free-text column; NULL for older rows.
    sql: `
      ALTER TABLE tool_calls ADD COLUMN commands_json TEXT;
      ALTER TABLE tool_calls ADD COLUMN blocks_json TEXT;
    `,
  },
  {
    version: 13,
    name: 'audit rows hash a digest of their payload (format 2) so a payload can be forgotten, leaving a tombstone; privacy ledger per conversation and provider',
    // Existing rows stay format 1 and verify as before; rows appended from now on are format 2.
    // The payload columns become nullable (a tombstone keeps payload_sha256 and forgotten_at);
    // the only UPDATE the schema allows is that tombstoning, and DELETE stays retention-only.
    sql: `
      DROP TRIGGER audit_log_append_only;
      DROP TRIGGER audit_log_retention_only;
      CREATE TABLE audit_log_v2 (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        host TEXT,
        subject TEXT,
        data_json TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        format INTEGER NOT NULL DEFAULT 1,
        payload_sha256 TEXT,
        forgotten_at TEXT
      );
      INSERT INTO audit_log_v2 (seq, at, kind, actor, host, subject, data_json, prev_hash, hash, format)
        SELECT seq, at, kind, actor, host, subject, data_json, prev_hash, hash, 1 FROM audit_log ORDER BY seq;
      DROP TABLE audit_log;
      ALTER TABLE audit_log_v2 RENAME TO audit_log;
      CREATE INDEX audit_log_at ON audit_log(at);
      CREATE INDEX audit_log_host ON audit_log(host);
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        WHEN NOT (OLD.forgotten_at IS NULL AND NEW.forgotten_at IS NOT NULL AND NEW.payload_sha256 IS NOT NULL
          AND NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND NEW.prev_hash = OLD.prev_hash
          AND NEW.hash = OLD.hash AND NEW.format = OLD.format
          AND NEW.actor IS NULL AND NEW.host IS NULL AND NEW.subject IS NULL AND NEW.data_json IS NULL)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (a payload can only be forgotten, keeping its digest)'); END;
      CREATE TRIGGER audit_log_retention_only BEFORE DELETE ON audit_log
        WHEN OLD.seq > (SELECT COALESCE(MAX(pruned_through), 0) FROM audit_checkpoints)
        BEGIN SELECT RAISE(ABORT, 'audit rows are removed only by retention, after a signed checkpoint'); END;
      CREATE TABLE privacy_ledger (
        conversation_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        local INTEGER NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        bytes_sent INTEGER NOT NULL DEFAULT 0,
        redactions_json TEXT NOT NULL DEFAULT '{}',
        pseudonyms_json TEXT NOT NULL DEFAULT '{}',
        hosts_json TEXT NOT NULL DEFAULT '[]',
        models_json TEXT NOT NULL DEFAULT '[]',
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        PRIMARY KEY (conversation_id, provider)
      );
    `,
  },
  {
    version: 14,
    name: 'alerts (Alertmanager webhooks, thresholds, anomalies, forecasts) with their interpretation, and silences',
    // One row per firing: Alertmanager retries a notification with the same fingerprint and
    // startsAt, so that pair is the de-duplication key. Labels, annotations, summary and the
    // interpretation are free text from outside and are redacted before they are written.
    sql: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT,
        source TEXT NOT NULL CHECK (source IN ('alertmanager','threshold','anomaly','forecast')),
        name TEXT NOT NULL,
        host TEXT,
        severity TEXT NOT NULL CHECK (severity IN ('critical','warning','info')),
        state TEXT NOT NULL CHECK (state IN ('firing','resolved','acknowledged','silenced')),
        summary TEXT NOT NULL,
        labels_json TEXT NOT NULL,
        annotations_json TEXT NOT NULL,
        group_key TEXT NOT NULL,
        value REAL,
        predicted_at TEXT,
        generator_url TEXT,
        notifications INTEGER NOT NULL DEFAULT 1,
        interpretation_json TEXT,
        incident_id TEXT,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        silenced_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        resolved_at TEXT,
        UNIQUE (fingerprint, starts_at)
      );
      CREATE INDEX alerts_state ON alerts(state, updated_at);
      CREATE INDEX alerts_host_name ON alerts(host, name, starts_at);
      CREATE INDEX alerts_group ON alerts(group_key);
      CREATE TABLE alert_silences (
        id TEXT PRIMARY KEY,
        matchers_json TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expired_at TEXT
      );
    `,
  },
  {
    version: 15,
    name: 'MCP client: per-server enabled/confirmed state, trust, allow/deny lists and pinned tool-definition hashes',
    // The launch spec (command, args, env names, cwd or url) is confirmed by its sha256: an
    // imported server has a row with enabled = 0 and no confirmation until the operator
    // confirms what it runs. pins_json maps each tool name to the sha256 of its definition.
    sql: `
      CREATE TABLE mcp_servers (
        name TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL DEFAULT 0,
        confirmed_spec_sha256 TEXT,
        trusted INTEGER NOT NULL DEFAULT 0,
        allow_json TEXT NOT NULL DEFAULT '[]',
        deny_json TEXT NOT NULL DEFAULT '[]',
        pins_json TEXT,
        pinned_at TEXT,
        origin TEXT NOT NULL DEFAULT 'config',
        updated_at TEXT NOT NULL
      );
    `,
  },
];
