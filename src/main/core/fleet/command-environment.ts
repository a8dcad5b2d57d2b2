import { userInfo } from 'node:os';
import { z } from 'zod';
import { defineConfigSlice } from '../config';

/**
 * What a command sees of the world it runs in. The policy judges program names as the
 * system's programs (`uptime` is /usr/bin/uptime), and the server's own environment holds
 * credentials (OPENAI_API_KEY, tokens) that `env` or `printenv` would hand back to a chat.
 * So every command, local or remote, and every child process Fleetmind starts gets this
 * minimal environment, never the server's.
 */

/**
 * The fixed search path: the system directories the policy treats as system programs.
 * Not the server's PATH: `npm start` puts node_modules/.bin first, a user's PATH has
 * ~/bin, and either would run something other than the program that was judged.
 */
export const COMMAND_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Variables that are Fleetmind's own credentials or that make a program load other
 * code; they are never passed on, even when listed.
 */
const NEVER_PASSED = /^(?:OPENAI_|FLEETMIND_|ANTHROPIC_|BASH_ENV$|ENV$|BASH_FUNC_|LD_|SHELLOPTS$|BASHOPTS$|PS4$|PROMPT_COMMAND$|IFS$|CDPATH$|GLOBIGNORE$|PATH$|HOME$|USER$|TERM$|LANG$|LC_)/;

export const executionConfig = defineConfigSlice({
  name: 'execution',
  schema: z
    .object({
      /**
       * Names of the server's environment variables that commands may see besides the
       * minimal set (PATH, LANG/LC_ALL, HOME, USER, TERM=dumb): proxies, KUBECONFIG,
       * AWS_PROFILE, SSH_AUTH_SOCK. On SSH hosts the same names are taken from the
       * remote login's own environment.
       */
      passEnvironment: z
        .array(
          z
            .string()
            .regex(VARIABLE_NAME, 'an environment variable name')
            .refine((name) => !NEVER_PASSED.test(name), 'a variable Fleetmind never passes to commands (its own credentials, or one that changes what a shell runs)'),
        )
        .max(64)
        .default([]),
    })
    .strict(),
});

/** Names a config may list in execution.passEnvironment; invalid names are dropped rather than trusted. */
export function passableNames(names: readonly string[]): string[] {
  return [...new Set(names)].filter((name) => VARIABLE_NAME.test(name) && !NEVER_PASSED.test(name));
}

/** The environment of a command run on this machine: the minimal set plus the allowed names the server has. */
export function localCommandEnvironment(pass: readonly string[] = [], source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const user = currentUser();
  const env: Record<string, string> = {
    PATH: COMMAND_PATH,
    // A fixed locale keeps the output of df, ps and friends parseable.
    LANG: 'C',
    LC_ALL: 'C',
    HOME: user.home,
    USER: user.name,
    TERM: 'dumb',
  };
  for (const name of passableNames(pass)) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

let cachedUser: { name: string; home: string } | null = null;

/** The OS account the server runs as, from the password database (not $USER/$HOME, which a parent can set). */
function currentUser(): { name: string; home: string } {
  if (!cachedUser) {
    const info = userInfo();
    cachedUser = { name: info.username, home: info.homedir || '/' };
  }
  return cachedUser;
}
