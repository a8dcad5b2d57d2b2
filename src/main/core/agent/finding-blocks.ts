import type { Finding, FindingSeverity } from '../../../shared/protocol';
import { findingsFromStatus } from './findings';

/** What server_status's data may carry: the diagnosis (metrics/diagnosis) with findings that have a severity. */
interface DiagnosedData {
  diagnosis?: { findings?: { severity: FindingSeverity; kind?: string; text: string }[] } | null;
}

const SEVERITIES: readonly FindingSeverity[] = ['ok', 'info', 'warning', 'critical'];

/**
 * server_status results as structured findings for the chat (host, severity, title, detail),
 * one host at a time so each finding names its host. A host whose data carries a diagnosis
 * gives its findings as they are; older data gets the plain rules of findings.ts (the same
 * ones as the reply's "Findings:" text), with a severity by kind. Producers of their own fill
 * the same `Finding` shape (shared/protocol/chat-blocks).
 */
export function statusFindingBlocks(dataByHost: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const [host, raw] of Object.entries(dataByHost)) {
    const diagnosis = (raw as DiagnosedData | null)?.diagnosis;
    if (diagnosis && Array.isArray(diagnosis.findings)) {
      const found = diagnosis.findings.filter((f) => SEVERITIES.includes(f.severity) && typeof f.text === 'string');
      if (found.length === 0) out.push({ host, severity: 'ok', title: 'Nothing stands out' });
      for (const f of found) out.push({ host, severity: f.severity, title: f.text });
      continue;
    }
    for (const text of findingsFromStatus({ [host]: raw })) {
      const colon = text.indexOf(': ');
      const title = colon > 0 ? text.slice(0, colon) : text.replace(/\.$/, '');
      const detail = colon > 0 ? text.slice(colon + 2) : undefined;
      out.push({ host, severity: severityOf(text), title, ...(detail ? { detail } : {}) });
    }
  }
  return out;
}

function severityOf(text: string): FindingSeverity {
  if (/^Nothing stands out/.test(text)) return 'ok';
  if (/^Disk almost full|failed systemd unit/.test(text)) return 'critical';
  return 'warning';
}

/** Sets a server_status record's findings from its data, unless a producer already set them. */
export function attachStatusFindings(tool: string, outcome: { record: { ok: boolean; findings?: Finding[] }; data: Record<string, unknown> }): void {
  if (tool !== 'server_status' || !outcome.record.ok || outcome.record.findings) return;
  const findings = statusFindingBlocks(outcome.data);
  if (findings.length) outcome.record.findings = findings;
}
