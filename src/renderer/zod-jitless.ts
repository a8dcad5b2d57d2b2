import { config } from 'zod';

// zod compiles object parsers with `new Function` when it can. Our CSP forbids eval, and
// merely probing for it raises a securitypolicyviolation, so tell zod not to try. This
// module must be imported before any schema is created (it is main.tsx's first import).
config({ jitless: true });
