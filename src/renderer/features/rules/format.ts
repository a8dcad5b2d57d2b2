import type { RememberedRuleView } from '../../../shared/protocol';

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time as `YYYY-MM-DD HH:MM`, with the exact instant left to the title. */
export function formatTime(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Where a rule applies, as a sentence fragment: "host web-1", "hosts tagged prod". */
export function scopeText(rule: Pick<RememberedRuleView, 'scope' | 'target'>): string {
  return rule.scope === 'tag' ? `hosts tagged ${rule.target}` : `host ${rule.target}`;
}

/** Ids are long; the first 8 characters identify one in practice (the CLI accepts unique prefixes of 6+). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
