import { z } from 'zod';
import { defineConfigSlice } from '../../config';

/**
 * `ssh:` in config.yaml. `connectTimeoutSeconds` bounds TCP connect + SSH handshake +
 * authentication per host (OpenSSH's ConnectTimeout); a host that accepts TCP and never
 * answers the handshake is reported as `timeout` once it has passed.
 */
export const sshConfig = defineConfigSlice({
  name: 'ssh',
  schema: z
    .object({
      connectTimeoutSeconds: z.number().positive().max(3600).default(10),
    })
    .strict(),
});
