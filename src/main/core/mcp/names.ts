import { sha256 } from './config';

/** The model's tool-name alphabet (OpenAI and Anthropic both accept it). */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const clean = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * `<server>__<tool>` for every tool, valid for the model and unique among `taken` and each
 * other: characters outside [A-Za-z0-9_-] become `_`, a name over 64 characters is cut and
 * given a short digest of the full name, and a collision (two tools that clean to the same
 * name, or a core tool's name) gets a digest suffix as well. The same inputs give the same
 * names, so a model sees stable names across reconnects.
 */
export function qualifyToolNames(tools: readonly { server: string; tool: string }[], taken: ReadonlySet<string>): Map<string, string> {
  const byKey = new Map<string, string>();
  const used = new Set(taken);
  const withDigest = (base: string, full: string) => `${base.slice(0, 64 - 9)}_${sha256(full).slice(0, 8)}`;
  // Sorted so the outcome does not depend on the order servers answered in.
  // Names already valid come first, so a tool keeps its plain name whatever another cleans to.
  const valid = (t: { server: string; tool: string }) => TOOL_NAME.test(`${t.server}__${t.tool}`);
  const sorted = [...tools].sort((a, b) => Number(valid(b)) - Number(valid(a)) || (a.server + '\0' + a.tool < b.server + '\0' + b.tool ? -1 : 1));
  for (const { server, tool } of sorted) {
    const full = `${server}__${tool}`;
    let name = clean(full);
    if (name.length > 64) name = withDigest(name, full);
    if (used.has(name)) name = withDigest(clean(full), full);
    // A digest collision is astronomically unlikely; count on rather than assume.
    for (let i = 2; used.has(name) && i < 1000; i++) name = `${withDigest(clean(full), full).slice(0, 60)}_${i}`;
    used.add(name);
    byKey.set(`${server}\0${tool}`, name);
  }
  return byKey;
}
