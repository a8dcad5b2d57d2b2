import { z } from 'zod';
import { defineConfigSlice } from '../config';
import { DEFAULT_INTERNAL_DOMAINS } from './pseudonymiser';

/**
 * `privacy:` in config.yaml. Pseudonyms are on by default for every provider not marked
 * `local: true`; `tags` marks whole tags `local_only` like the per-host `privacy` field.
 */
export const privacyConfig = defineConfigSlice({
  name: 'privacy',
  schema: z
    .object({
      /** Host names and addresses, IPs, internal domains, usernames and e-mail addresses → host-1, ip-3, user-2 for remote models. */
      pseudonymise: z.boolean().default(true),
      /** Suffixes whose names are internal (`corp.example`); the defaults are the private-use TLDs. */
      internalDomains: z.array(z.string().min(1)).default(DEFAULT_INTERNAL_DOMAINS),
      /** Tag → privacy: `local_only` keeps every conversation touching a host with the tag on local models. */
      tags: z.record(z.string(), z.enum(['default', 'local_only'])).default({}),
    })
    .strict(),
  fromEnv: (env) => (env.FLEETMIND_PSEUDONYMISE === '0' || env.FLEETMIND_PSEUDONYMISE === 'false' ? { pseudonymise: false } : {}),
});
export type PrivacyConfig = ReturnType<(typeof privacyConfig)['schema']['parse']>;
