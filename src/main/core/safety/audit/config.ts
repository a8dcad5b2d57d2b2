import { z } from 'zod';
import { defineConfigSlice } from '../../config';

/**
 * The audit log's own settings (`audit:` in config.yaml).
 *
 * `anchor: syslog` writes the chain head to the system journal/syslog at every signed
 * checkpoint (`logger -t fleetmind-audit`), where the data dir's user can add lines but
 * cannot change or remove the ones already written; `fleetmind audit verify --journal`
 * then checks the log against every head anchored there. Off by default: it puts a line
 * in the system log for every batch of audited work.
 */
export const auditConfig = defineConfigSlice({
  name: 'audit',
  schema: z
    .object({
      anchor: z.enum(['off', 'syslog']).default('off'),
    })
    .strict(),
});
