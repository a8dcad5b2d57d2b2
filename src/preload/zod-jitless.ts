import { config } from 'zod';

// The preload runs under the page's no-eval CSP; stop zod from probing `new Function`
// (a reported violation). Imported first, before any schema exists.
config({ jitless: true });
