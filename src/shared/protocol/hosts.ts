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

/** `POST /api/hosts` answers with the host as stored (defaults filled in). */
export const HostAddedSchema = z.object({ host: HostSchema });
export type HostAdded = z.infer<typeof HostAddedSchema>;

/** `POST /api/hosts/import`: the text of an ssh_config or an Ansible inventory (INI or YAML), as `hosts import` reads a file. */
export const HostImportRequestSchema = z
  .object({
    kind: z.enum(['ssh-config', 'ansible']),
    text: z.string().min(1).max(60_000),
    /** Ansible only; guessed from the text when absent. */
    format: z.enum(['ini', 'yaml']).optional(),
  })
  .strict();
export type HostImportRequest = z.infer<typeof HostImportRequestSchema>;

export const HostImportResultSchema = z.object({
  added: z.array(z.string()),
  updated: z.array(z.string()),
  warnings: z.array(z.string()),
  /** ssh_config imports: the keys on record for each imported host (none: confirm it with trust). */
  hostKeys: z
    .array(
      z.object({
        host: z.string(),
        endpoint: z.string(),
        keys: z.array(z.object({ keyType: z.string(), fingerprint: z.string(), source: z.string() })),
        recorded: z.boolean(),
      }),
    )
    .optional(),
});
export type HostImportResult = z.infer<typeof HostImportResultSchema>;

/** `GET /api/hosts/:name/hostkey`: the key the host presents now, compared with what is known. */
export const HostKeyScanSchema = z.object({
  host: z.string(),
  endpoint: z.string(),
  keyType: z.string(),
  fingerprint: z.string(),
  status: z.enum(['trusted', 'unknown', 'mismatch', 'revoked']),
  expected: z.array(z.object({ fingerprint: z.string(), keyType: z.string(), source: z.string() })),
});
export type HostKeyScanView = z.infer<typeof HostKeyScanSchema>;

/** `POST /api/hosts/:name/trust` `{"fingerprint"}`: recorded only if the host still presents that key. */
export const HostTrustedSchema = z.object({ trusted: HostKeyScanSchema, replaced: z.array(z.string()) });
export type HostTrusted = z.infer<typeof HostTrustedSchema>;

/** What the UI sends to add a host (`POST /api/hosts`); the core validates it in full and fills in defaults. */
export const HostAddRequestSchema = z
  .object({
    name: z.string().min(1).max(253),
    address: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).max(64).nullable().optional(),
    identityFile: z.string().min(1).max(4096).nullable().optional(),
    tags: z.array(z.string().min(1).max(64)).max(64).optional(),
    jump: z.string().min(1).max(300).nullable().optional(),
    privacy: PrivacySchema.optional(),
  })
  .strict();
export type HostAddRequest = z.infer<typeof HostAddRequestSchema>;
