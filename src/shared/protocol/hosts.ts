import { z } from 'zod';
import { ApiErrorSchema } from './errors';

/** Words the host selector gives a meaning of its own (fleet/selector.ts). */
export const RESERVED_HOST_NAMES: ReadonlySet<string> = new Set(['all']);

export const HostNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'host names use letters, digits, dot, dash and underscore')
  // Selector words are never host names: a host called `all` would turn an approval for
  // the host "all" into one for the whole fleet. (`*`, `?`, `!`, `,` and `tag:` are already
  // outside the characters above.)
  .refine((name) => !RESERVED_HOST_NAMES.has(name.toLowerCase()), 'is a host selector word ("all" means every host), so it cannot name a host');

export const PrivacySchema = z.enum(['default', 'local_only']);

export const HostSchema = z.object({
  name: HostNameSchema,
  address: z.string().min(1),
  /** 0 for the built-in local machine, which is not reached over the network. */
  port: z.number().int().min(0).max(65535),
  user: z.string().nullable(),
  identityFile: z.string().nullable(),
  tags: z.array(z.string()),
  jump: z.string().nullable(),
  privacy: PrivacySchema,
  /** 'local' runs on this machine without SSH; 'ssh' goes through the connection pool. */
  transport: z.enum(['local', 'ssh']),
});
export type Host = z.infer<typeof HostSchema>;

/** `GET /api/hosts` and the desktop face's inventory listing. */
export const HostListSchema = z.object({ hosts: z.array(HostSchema) });
export type HostList = z.infer<typeof HostListSchema>;

/** One line of `fleetmind exec --json` (DESIGN contract). */
export const ExecResultLineSchema = z.object({
  host: z.string(),
  ok: z.boolean(),
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().nonnegative(),
  /** `approvalId`: with code approval_required, the pending approval queued for this host. */
  error: ApiErrorSchema.extend({ approvalId: z.string().optional() }).nullable(),
});
export type ExecResultLine = z.infer<typeof ExecResultLineSchema>;
