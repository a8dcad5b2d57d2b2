import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Core } from '../../src/main/core/compose';
import { MemorySecretStore } from '../../src/main/core/secrets';
import { startLlmServer } from '../fixtures/llm-server/index';
import { evalCases, type EvalCase } from './cases';

export interface EvalRow {
  name: string;
  passed: number;
  checks: number;
  failures: string[];
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
}

export interface EvalReport {
  mode: 'scripted' | 'real';
  rows: EvalRow[];
  accuracy: number;
}

function judge(c: EvalCase, reply: string, tools: { tool: string; ok: boolean; error: { code: string } | null }[], approvals: number): { passed: number; checks: number; failures: string[] } {
  const failures: string[] = [];
  let checks = 0;
  const called = new Set(tools.map((t) => t.tool));
  for (const t of c.expect.tools ?? []) {
    checks++;
    if (!called.has(t)) failures.push(`did not call ${t}`);
  }
  for (const t of c.expect.notTools ?? []) {
    checks++;
    if (called.has(t)) failures.push(`called ${t}`);
  }
  for (const re of c.expect.reply ?? []) {
    checks++;
    if (!new RegExp(re.source, 'i').test(reply)) failures.push(`reply does not match ${re}`);
  }
  if (c.expect.approvals !== undefined) {
    checks++;
    if (approvals !== c.expect.approvals) failures.push(`${approvals} approvals, expected ${c.expect.approvals}`);
  }
  if (c.expect.toolsOk) {
    checks++;
    const failed = tools.filter((t) => !t.ok);
    if (failed.length) failures.push(`failed tools: ${failed.map((t) => `${t.tool} (${t.error?.code})`).join(', ')}`);
  }
  return { passed: checks - failures.length, checks, failures };
}

/**
 * Runs every case in a fresh data dir. `scripted`: against the scripted server
 * (deterministic, CI). `real`: against the provider the environment configures
 * (OPENAI_API_KEY / OPENAI_BASE_URL, FLEETMIND_MODEL).
 */
export async function runEval(mode: 'scripted' | 'real', only?: string): Promise<EvalReport> {
  const llm = mode === 'scripted' ? await startLlmServer() : null;
  const rows: EvalRow[] = [];
  try {
    for (const c of evalCases.filter((x) => !only || x.name.includes(only))) {
      const home = mkdtempSync(join(tmpdir(), 'fm-eval-'));
      try {
        let env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: home };
        if (llm) {
          llm.setScenario(c.script);
          writeFileSync(join(home, 'config.yaml'), `llm:\n  providers:\n    - name: scripted\n      baseURL: ${llm.baseURL}\n  models:\n    chat: scripted/gpt-4o-mini\n    diagnosis: scripted/gpt-4o\n`);
          env = { ...env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };
        }
        const core = new Core({ env, secrets: new MemorySecretStore() });
        const started = performance.now();
        try {
          const response = await core.chat({ message: c.message });
          const verdict = judge(c, response.reply, response.toolCalls, response.pendingApprovals.length);
          rows.push({
            name: c.name,
            ...verdict,
            promptTokens: response.usage.promptTokens,
            completionTokens: response.usage.completionTokens,
            costUsd: response.usage.costUsd,
            latencyMs: performance.now() - started,
          });
        } catch (err) {
          rows.push({ name: c.name, passed: 0, checks: 1, failures: [`error: ${(err as Error).message}`], promptTokens: 0, completionTokens: 0, costUsd: 0, latencyMs: performance.now() - started });
        } finally {
          await core.close();
        }
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }
  } finally {
    await llm?.stop();
  }
  const passed = rows.reduce((a, r) => a + r.passed, 0);
  const checks = rows.reduce((a, r) => a + r.checks, 0);
  return { mode, rows, accuracy: checks ? passed / checks : 0 };
}

export function formatReport(report: EvalReport): string {
  const lines = [`eval (${report.mode}): ${report.rows.length} cases, accuracy ${(report.accuracy * 100).toFixed(1)}%`];
  for (const r of report.rows) {
    lines.push(
      `${r.passed === r.checks ? 'PASS' : 'FAIL'}  ${r.passed}/${r.checks}  ${String(r.promptTokens + r.completionTokens).padStart(6)} tok  $${r.costUsd.toFixed(5)}  ${Math.round(r.latencyMs)} ms  ${r.name}`,
    );
    for (const f of r.failures) lines.push(`        - ${f}`);
  }
  return lines.join('\n');
}
