import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy, locatePolicyDir } from './load';

const scratch = mkdtempSync(join(tmpdir(), 'fm-policy-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('remembering that a policy passed its examples', () => {
  it('proves a policy once, and proves it again when any rule text changes', async () => {
    const policyDir = join(scratch, 'policy');
    cpSync(locatePolicyDir(), policyDir, { recursive: true });
    const cacheDir = join(scratch, 'cache');
    await loadDefaultPolicy({ policyDir, verificationCacheDir: cacheDir });
    const keys = JSON.parse(readFileSync(join(cacheDir, 'policy-verified.json'), 'utf8')) as string[];
    expect(keys).toHaveLength(1);
    // Same policy: the earlier proof is used (and still judges correctly).
    const again = await loadDefaultPolicy({ policyDir, verificationCacheDir: cacheDir });
    expect(again.evaluate({ command: 'cat /etc/shadow', host: 'h', requester: 't' }).decision).toBe('deny');

    // A rule whose example is wrong: the changed text is a new policy, so it is verified and refused.
    const broken = join(policyDir, 'rules', 'zz-broken.yaml');
    writeFileSync(broken, 'rules:\n  - id: broken-example\n    program: uptime\n    decision: allow\n    category: read_only\n    reason: test\n    match: [rm -rf /]\n');
    await expect(loadDefaultPolicy({ policyDir, verificationCacheDir: cacheDir })).rejects.toThrow(/broken-example.*rm -rf \//s);
  });
});
