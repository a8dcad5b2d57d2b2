import { z } from 'zod';
import { defineConfigSlice } from '../config';

export const DEFAULT_PORT = 8000;

export const serverConfig = defineConfigSlice({
  name: 'server',
  schema: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
      /** Host header names to accept besides loopback names (e.g. behind an SSH tunnel). */
      allowedHosts: z.array(z.string()).default([]),
    })
    .strict(),
  fromEnv: (env) => ({
    host: env.FLEETMIND_HOST,
    port: env.FLEETMIND_PORT !== undefined ? Number(env.FLEETMIND_PORT) : undefined,
  }),
});
