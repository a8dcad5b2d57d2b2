import type { TokenScope } from '../../../shared/protocol';
import { publicCliName } from '../config';

/**
 * Who may do what over HTTP (DESIGN: API security). Every route declares one access
 * level; a request's principal has a set of grants; the two meet in authorize().
 *
 * - public: anyone who passed the Host/Origin checks (the bare health answer, sign-in).
 * - local: chat, conversations by id, the inventory, the UI, full health: the server's own
 *   OS user without credentials (identified by the kernel), or the operator.
 * - operator: approving, running commands, settings, the audit log, usage, the
 *   conversation list: the operator token or a UI session made from a sign-in link.
 * - a token scope: what a scoped token exists for (and what the operator may do anyway).
 */
export type Access = 'public' | 'local' | 'operator' | TokenScope;

export type Principal =
  | { kind: 'operator'; via: 'token' | 'session' }
  /** The server's own OS user, without credentials. */
  | { kind: 'local'; uid: number }
  | { kind: 'scoped'; scope: TokenScope; tokenId: string }
  /** Nothing presented, and not the server's own user (or the kernel could not say). */
  | { kind: 'anonymous' }
  /** A bearer token was presented and is not valid (wrong, revoked, rotated). */
  | { kind: 'invalid' };

const ALL: readonly Access[] = ['public', 'local', 'operator', 'alerts:write', 'metrics:read', 'mcp:read', 'mcp:operator'];

export function grants(principal: Principal): ReadonlySet<Access> {
  switch (principal.kind) {
    case 'operator':
      return new Set(ALL);
    case 'local':
      // Chat and read-only inspection, as the tools' read kind; /mcp read tools and a scrape of /metrics too.
      return new Set<Access>(['public', 'local', 'metrics:read', 'mcp:read']);
    case 'scoped':
      return new Set<Access>(principal.scope === 'mcp:operator' ? ['public', 'mcp:operator', 'mcp:read'] : ['public', principal.scope]);
    case 'anonymous':
    case 'invalid':
      return new Set<Access>(['public']);
  }
}

export const TOKEN_HINT = `use Authorization: Bearer <token from DATA_DIR/api-token> (\`${publicCliName()} token show\` prints it)`;

export type Decision = { ok: true } | { ok: false; status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

/** Whether `principal` may use a route of level `access`; `what` names the action for the message. */
export function authorize(principal: Principal, access: Access, what: string): Decision {
  if (grants(principal).has(access)) return { ok: true };
  switch (principal.kind) {
    case 'invalid':
      return { ok: false, status: 401, code: 'unauthorized', message: `the bearer token is not valid (mistyped, revoked or rotated); ${TOKEN_HINT}` };
    case 'anonymous':
      return {
        ok: false,
        status: 401,
        code: 'unauthorized',
        message: `requests without credentials are served only to the OS user running this server; ${TOKEN_HINT}, or open the UI from a link made by \`${publicCliName()} ui-link\``,
      };
    case 'local':
      return { ok: false, status: 401, code: 'unauthorized', message: `${what} needs the operator token: ${TOKEN_HINT}, or open the UI from a link made by \`${publicCliName()} ui-link\`` };
    case 'scoped':
      return {
        ok: false,
        status: 403,
        code: 'forbidden',
        message: `a token of scope ${principal.scope} cannot be used for ${what}${access === 'operator' ? '; only the operator token can' : ''}`,
      };
    case 'operator':
      return { ok: true };
  }
}
