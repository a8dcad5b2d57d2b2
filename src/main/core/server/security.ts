/** Host header values that name this server; anything else is a DNS-rebinding attempt. */
export function allowedHostHeaders(bindHost: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost, ...extra]);
  const result = new Set<string>();
  for (const name of names) {
    if (name === '0.0.0.0' || name === '[::]') continue;
    // Browsers and fetch send IPv6 hosts in their canonical form ([::ffff:127.0.0.1] becomes [::ffff:7f00:1]).
    let canonical = name;
    try {
      canonical = new URL(`http://${name}`).hostname;
    } catch {
      // not a valid host name: only its literal form can match
    }
    for (const form of new Set([name, canonical])) {
      result.add(`${form}:${port}`.toLowerCase());
      if (port === 80) result.add(form.toLowerCase());
    }
  }
  return result;
}

/** The Cookie header as a map; a value that is not valid percent-encoding is skipped, never thrown on. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      cookies[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // malformed: as if absent
    }
  }
  return cookies;
}
