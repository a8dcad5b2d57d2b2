import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy, SafetyGate } from '../safety';
import { COLLECTOR_SCRIPT } from './script';

describe('the collector script under the default policy', () => {
  it('is allowed as read-only on any host, so collection needs no approval', async () => {
    const gate = new SafetyGate(await loadDefaultPolicy());
    for (const tags of [[], ['production'], ['db', 'prod']]) {
      const r = gate.check({ command: COLLECTOR_SCRIPT, host: 'web-1', requester: 'metrics:collector', tags });
      expect(r.verdict, JSON.stringify(r.verdict.reasons)).toMatchObject({ decision: 'allow', category: 'read_only' });
      // Shell text: it runs under bash, the grammar that judged it.
      expect(r.ok && r.command.argv).toBeNull();
    }
  });
});
