import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BashParser } from './bash-parser';
import { parseOverrides, type PolicyText } from './compiled';
import { PolicyLoadError } from './ruleset';
import { ShellPolicy, type ShellPolicyOptions } from './shell-policy';
import type { ParsedPolicyOverrides, PolicyOverrides } from './spec';

export interface LoadPolicyOptions extends ShellPolicyOptions {
  /** Directory of the default policy (YAML files); found next to the code when omitted. */
  policyDir?: string;
  /** The user's override file (YAML). A missing file is fine: it is optional. */
  userPolicyFile?: string | null;
  /**
   * Fleetmind's own data dir (API token, session store, audit key, database): reading or
   * writing anything in it is judged like reading a credential, wherever FLEETMIND_HOME puts it.
   */
  dataDir?: string;
  /** Overrides given in code, applied after the user file (e.g. remembered approvals). */
  overrides?: { name: string; overrides: PolicyOverrides }[];
  /** The tree-sitter-bash grammar; resolved from node_modules when omitted. */
  wasmPath?: string;
  /**
   * A directory where the fact "this exact policy passed all its examples with this exact
   * engine" is remembered, so an unchanged policy is not re-proven at every start. Omit to
   * verify every time (tests do).
   */
  verificationCacheDir?: string;
}

const VERIFIED_FILE = 'policy-verified.json';

/**
 * What a verification depends on: every policy text, the overrides, and the engine
 * (the code file this module was bundled into, by content). Any change means re-verify.
 */
function verificationKey(defaults: PolicyText[], overrides: { name: string; data: ParsedPolicyOverrides }[]): string | null {
  try {
    const digest = createHash('sha256');
    digest.update(readFileSync(fileURLToPath(import.meta.url)));
    for (const d of defaults) digest.update(`${d.name}\0${d.text}\0`);
    for (const o of overrides) digest.update(`${o.name}\0${JSON.stringify(o.data)}\0`);
    return digest.digest('hex');
  } catch {
    return null;
  }
}

function readVerified(dir: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, VERIFIED_FILE), 'utf8')) as unknown;
    return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

function rememberVerified(dir: string, key: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = [key, ...readVerified(dir).filter((k) => k !== key)].slice(0, 5);
    const tmp = join(dir, `${VERIFIED_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(keys), { mode: 0o600 });
    renameSync(tmp, join(dir, VERIFIED_FILE));
  } catch {
    // Only a speed-up: failing to remember means verifying again next time.
  }
}

const POLICY_MARKER = join('resources', 'policy', 'default.yaml');

/** The user's override file in the data dir (optional). */
export const USER_POLICY_FILE = 'policy.yaml';

/**
 * Finds resources/policy by walking up from this module: it is four levels up from
 * the sources (src/main/core/safety/policy) and two from the bundle (out/main).
 */
export function locatePolicyDir(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, POLICY_MARKER))) return join(dir, 'resources', 'policy');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new PolicyLoadError(`could not find ${POLICY_MARKER} above ${start}; pass policyDir`);
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listYaml(path));
    else if (/\.ya?ml$/.test(entry)) out.push(path);
  }
  return out;
}

/** Reads the default policy files: default.yaml first, then the others in path order. */
export function readPolicyDir(dir: string): PolicyText[] {
  if (!existsSync(join(dir, 'default.yaml'))) throw new PolicyLoadError(`${dir} has no default.yaml`);
  const files = listYaml(dir);
  files.sort((a, b) => (a.endsWith('/default.yaml') ? -1 : b.endsWith('/default.yaml') ? 1 : a.localeCompare(b)));
  return files.map((path) => ({ name: relative(dirname(dir), path) || path, text: readFileSync(path, 'utf8') }));
}

/** The data dir as a credential path (its default location is in paths.yaml too). */
export function dataDirOverrides(dataDir: string): PolicyOverrides {
  const dir = dataDir.replace(/\/+$/, '') || '/';
  // Glob characters in the directory's name are literal (`\` escapes in policy globs).
  const glob = (p: string) => p.replace(/[*?[\]{},\\]/g, (c) => `\\${c}`);
  return {
    secrets: [
      {
        id: 'secret-fleetmind-data-dir',
        paths: [glob(dir), `${glob(dir)}/**`],
        decision: 'deny',
        category: 'credential_access',
        reason: "is Fleetmind's own data dir (operator token, sessions, audit key, database)",
        match: [`${dir}/api-token`, `${dir}/fleetmind.db`],
      },
    ],
    write_targets: [
      {
        id: 'write-fleetmind-data-dir',
        paths: [`${glob(dir)}/**`],
        decision: 'deny',
        category: 'credential_access',
        reason: "is Fleetmind's own data dir (operator token, policy overrides, audit log)",
        match: [`${dir}/policy.yaml`],
      },
    ],
  };
}

/**
 * Loads the grammar and the policy once; the returned policy evaluates synchronously.
 * A rule whose examples do not hold, invalid YAML or an unknown field is a load error.
 */
export async function loadDefaultPolicy(options: LoadPolicyOptions = {}): Promise<ShellPolicy> {
  const policyDir = options.policyDir ?? locatePolicyDir();
  // The grammar (WebAssembly) compiles while the rules are parsed in a worker.
  const parserReady = BashParser.create({ wasmPath: options.wasmPath });
  parserReady.catch(() => undefined);
  const defaults = await parseYamlOffThread(readPolicyDir(policyDir));
  const overrides: { name: string; data: ParsedPolicyOverrides }[] = [];
  if (options.userPolicyFile && existsSync(options.userPolicyFile)) {
    overrides.push({ name: options.userPolicyFile, data: parseOverrides({ name: options.userPolicyFile, text: readFileSync(options.userPolicyFile, 'utf8') }) });
  }
  for (const o of options.overrides ?? []) overrides.push({ name: o.name, data: parseOverrides({ name: o.name, data: o.overrides }) });
  if (options.dataDir) overrides.push({ name: 'fleetmind data dir', data: parseOverrides({ name: 'fleetmind data dir', data: dataDirOverrides(options.dataDir) }) });
  const parser = await parserReady;
  const key = options.verificationCacheDir ? verificationKey(defaults, overrides) : null;
  const alreadyProven = key !== null && readVerified(options.verificationCacheDir as string).includes(key);
  // An unchanged policy under an unchanged engine gives the same verdicts on its examples; prove it once.
  const policy = ShellPolicy.build(parser, { defaults, overrides }, { resolveHostTags: options.resolveHostTags }, alreadyProven ? 'none' : 'all');
  if (key && !alreadyProven) rememberVerified(options.verificationCacheDir as string, key);
  return policy;
}


/**
 * Parses the policy YAML in a short-lived worker thread. The YAML parser's working
 * memory (tens of MB of heap for the default rules, which V8 keeps once grown) leaves
 * with the worker instead of staying in the long-running server (bench: idle RSS
 * 123 → 104 MB). If the worker itself cannot run, parsing happens here; YAML errors are
 * reported the same way in both cases.
 */
export async function parseYamlOffThread(texts: PolicyText[]): Promise<PolicyText[]> {
  let yamlPath: string;
  try {
    yamlPath = createRequire(import.meta.url).resolve('yaml');
  } catch {
    return texts;
  }
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { parse } = require(workerData.yamlPath);
    parentPort.postMessage(workerData.texts.map((t) => {
      try { return { data: parse(t.text) ?? null }; } catch (err) { return { error: String(err && err.message || err) }; }
    }));`;
  let results: ({ data: unknown } | { error: string })[];
  try {
    results = await new Promise((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData: { yamlPath, texts: texts.map((t) => ({ text: t.text })) } });
      worker.once('message', (message: ({ data: unknown } | { error: string })[]) => {
        resolve(message);
        void worker.terminate();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`the YAML worker exited with ${code}`));
      });
    });
  } catch {
    return texts;
  }
  return texts.map((t, i) => {
    const r = results[i];
    if (r && 'error' in r) throw new PolicyLoadError(`${t.name} is not valid YAML: ${r.error}`);
    return { ...t, data: r?.data ?? null };
  });
}
