import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BashParser } from './bash-parser';
import { compilePolicy, parseOverrides, parsePolicyFile, type PolicyText } from './compiled';
import { PolicyLoadError } from './ruleset';
import { ShellPolicy, type ShellPolicyOptions } from './shell-policy';
import { engineIdentity, readSnapshot, writeSnapshot, type PolicyInputs, type SnapshotEvent, type SnapshotLocation } from './snapshot';
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
   * Where the policy snapshot is kept (policySnapshotLocation(dataDir)): an unchanged policy
   * under an unchanged engine is then read back already validated and proven instead of
   * being parsed and proven again at every start. Omit to compile and verify every time
   * (tests and `policy validate` do).
   */
  snapshot?: SnapshotLocation;
  /** Hears what became of the snapshot (used, absent, rejected and why, written). */
  onSnapshot?: (event: SnapshotEvent) => void;
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
  // Code-point order, the same under every locale (the order decides how files merge and the
  // policy version); localeCompare would also cost a cold CLI ~6 ms to set up ICU's collator.
  files.sort((a, b) => (a.endsWith('/default.yaml') ? -1 : b.endsWith('/default.yaml') ? 1 : a < b ? -1 : a > b ? 1 : 0));
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
  // The grammar (WebAssembly) compiles while the rules are read, or parsed in a worker.
  const parserReady = BashParser.create({ wasmPath: options.wasmPath });
  parserReady.catch(() => undefined);
  const texts = readPolicyDir(policyDir);
  const userFile = options.userPolicyFile && existsSync(options.userPolicyFile) ? { name: options.userPolicyFile, text: readFileSync(options.userPolicyFile, 'utf8') } : null;
  const codeOverrides = [...(options.overrides ?? [])];
  if (options.dataDir) codeOverrides.push({ name: 'fleetmind data dir', overrides: dataDirOverrides(options.dataDir) });
  const snapshot = options.snapshot;
  const inputs: PolicyInputs | null = snapshot
    ? { defaults: texts, userFile, overrides: codeOverrides, dataDir: options.dataDir ?? null, engine: engineIdentity(import.meta.url, options.wasmPath) }
    : null;
  const policyOptions = { resolveHostTags: options.resolveHostTags };
  if (snapshot && inputs) {
    // Read back only what this process (or another of this user's) wrote after proving it, for exactly these inputs.
    const proven = readSnapshot(snapshot, inputs, options.onSnapshot);
    if (proven) {
      // Compiled while the grammar is still compiling in the background; nothing to verify.
      const compiled = compilePolicy(proven.defaults, proven.overrides, { proven: true });
      return new ShellPolicy(compiled, await parserReady, proven, policyOptions);
    }
  }
  const parsed = await parseYamlOffThread(texts);
  const overrides: { name: string; data: ParsedPolicyOverrides }[] = [];
  if (userFile) overrides.push({ name: userFile.name, data: parseOverrides(userFile) });
  for (const o of codeOverrides) overrides.push({ name: o.name, data: parseOverrides({ name: o.name, data: o.overrides }) });
  // Only the validated form is kept (the raw YAML data would stay in memory as long as the policy).
  const defaults = parsed.map((t) => ({ name: t.name, text: t.text, validated: parsePolicyFile(t) }));
  const policy = ShellPolicy.build(await parserReady, { defaults, overrides }, policyOptions, 'all');
  // Written only once every example held: a snapshot stands for a proven policy.
  if (snapshot && inputs) writeSnapshot(snapshot, inputs, { defaults, overrides }, options.onSnapshot);
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
