import { publicCliName } from '../config';

/**
 * The page a browser gets instead of the app when it has no session and is not the
 * server's own OS user (or when a sign-in link is used up). Static text: it names no
 * path, user or version, only how the operator gets in.
 */
export function signInPage(reason: 'no_session' | 'link_used'): string {
  const cli = publicCliName().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const why =
    reason === 'link_used'
      ? 'This sign-in link has already been used or has expired. Links work once, for ten minutes.'
      : 'This browser has no Fleetmind session, and requests without one are served only to the OS user running the server.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in · Fleetmind</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f5f6f8; color: #1d2330; }
  main { max-width: 34rem; padding: 2rem 2.25rem; background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  code, pre { font: 14px/1.4 ui-monospace, monospace; background: #eef0f4; border-radius: 4px; }
  pre { padding: .6rem .8rem; overflow-x: auto; }
  code { padding: .1rem .3rem; }
  p.small { color: #5a6272; font-size: .9rem; }
</style>
</head>
<body>
<main>
  <h1>Sign in to Fleetmind</h1>
  <p>${why}</p>
  <p>On the machine running Fleetmind, as the user that runs it, make a fresh single-use link and open it here:</p>
  <pre>${cli} ui-link</pre>
  <p class="small">Scripts and API clients send <code>Authorization: Bearer &lt;token&gt;</code> instead; the operator token is in the file <code>api-token</code> in Fleetmind's data dir (<code>${cli} token show</code> prints it).</p>
</main>
</body>
</html>
`;
}
