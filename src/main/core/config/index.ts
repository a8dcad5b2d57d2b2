import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { resolvePaths, type FleetmindPaths } from './paths';

export { resolvePaths, findPackageRoot, type FleetmindPaths } from './paths';
export { cliName, fleetmindCommand, publicCliName } from './command-name';

/**
 * Layered configuration: defaults < user file < environment < flags.
 * Each module owns its slice (a name and a zod schema with defaults); there is no
 * central config object that knows every setting.
 */
export interface ConfigSlice<S extends z.ZodType> {
  name: string;
  schema: S;
  /** Map environment variables onto this slice (ecosystem names such as OPENAI_BASE_URL). */
  fromEnv?: (env: NodeJS.ProcessEnv) => Record<string, unknown>;
}

export function defineConfigSlice<S extends z.ZodType>(slice: ConfigSlice<S>): ConfigSlice<S> {
  return slice;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Parsed command-line flags, keyed by slice name. */
  flags?: Record<string, Record<string, unknown>>;
  /** Override the file location (tests). */
  paths?: FleetmindPaths;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dropUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

export class Config {
  readonly paths: FleetmindPaths;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fileData: Record<string, unknown>;
  private readonly flags: Record<string, Record<string, unknown>>;

  constructor(sources: ConfigSources = {}) {
    this.env = sources.env ?? process.env;
    this.paths = sources.paths ?? resolvePaths(this.env);
    this.flags = sources.flags ?? {};
    this.fileData = Config.readFile(this.paths.configFile);
  }

  private static readFile(file: string): Record<string, unknown> {
    if (!existsSync(file)) return {};
    let parsed: unknown;
    try {
      // yaml is loaded only when there is a file to read.
      const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
      parsed = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed == null) return {};
    if (!isPlainObject(parsed)) throw new ConfigError(`config file ${file} must be a YAML mapping`);
    return parsed;
  }

  get<S extends z.ZodType>(slice: ConfigSlice<S>): z.infer<S> {
    const fromFile = this.fileData[slice.name];
    if (fromFile !== undefined && !isPlainObject(fromFile)) {
      throw new ConfigError(`config section "${slice.name}" in ${this.paths.configFile} must be a mapping`);
    }
    const merged = {
      ...(fromFile ?? {}),
      ...dropUndefined(slice.fromEnv?.(this.env) ?? {}),
      ...dropUndefined(this.flags[slice.name] ?? {}),
    };
    const result = slice.schema.safeParse(merged);
    if (!result.success) {
      const issues = result.error.issues.map((i) => `${slice.name}.${i.path.join('.')}: ${i.message}`);
      throw new ConfigError(`invalid configuration: ${issues.join('; ')}`);
    }
    return result.data;
  }
}
