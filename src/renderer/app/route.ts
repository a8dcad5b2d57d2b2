import { useSyncExternalStore } from 'react';

/** The shell's pages. The hash keeps them bookmarkable and the back button working, with no router. */
export type Route = 'chat' | 'alerts' | 'fleet' | 'rules' | 'usage' | 'privacy' | 'mcp' | 'audit' | 'settings';

export const ROUTE_HREF: Record<Route, string> = { chat: '#/', alerts: '#/alerts', fleet: '#/fleet', rules: '#/rules', usage: '#/usage', privacy: '#/privacy', mcp: '#/mcp', audit: '#/audit', settings: '#/settings' };

function parse(hash: string): Route {
  if (hash === '#/fleet') return 'fleet';
  if (hash === '#/alerts') return 'alerts';
  if (hash === '#/rules') return 'rules';
  if (hash === '#/usage') return 'usage';
  if (hash === '#/privacy') return 'privacy';
  if (hash === '#/mcp') return 'mcp';
  if (hash === '#/audit') return 'audit';
  if (hash === '#/settings') return 'settings';
  return 'chat';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => parse(window.location.hash));
}
