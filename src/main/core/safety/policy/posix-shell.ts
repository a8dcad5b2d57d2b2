/**
 * Strings another shell runs: `sh -c`, `dash -c`, `watch` (which hands its command to
 * /bin/sh), `find -exec sh -c`, `flock -c`. The policy reads every string with bash's
 * grammar, but on Debian /bin/sh is dash, which reads some bash syntax differently:
 * `echo $'\'; rm -rf /srv #'` is one ANSI-C string to bash and `echo $\; rm -rf /srv`
 * to dash; `((cmd))` is arithmetic to bash and two nested subshells running cmd to dash;
 * `echo &>/dev/null cmd` backgrounds echo and runs cmd under dash. A string for a shell
 * other than bash that uses such syntax is never judged as safe.
 */
const BASH_ONLY: readonly [RegExp, string][] = [
  [/\$'/, "ANSI-C quoting ($'…')"],
  [/\$"/, 'locale quoting ($"…")'],
  [/&>/, 'the &> redirection'],
  [/\|&/, 'the |& pipe'],
  [/<<</, 'a here-string (<<<)'],
  [/[<>]\(/, 'process substitution'],
  [/\(\(/, 'arithmetic ((…))'],
  [/\$\[/, 'arithmetic $[…]'],
  [/\[\[/, 'the [[ test'],
  [/;;&|;&/, 'case fall-through'],
];

/** Shell names that read their strings as bash does. */
const BASH_NAMES = new Set(['bash', 'rbash']);

/** Why a string the named shell runs may be read differently from how bash read it, or null. */
export function readsDifferentlyFromBash(shell: string, text: string): string | null {
  if (BASH_NAMES.has(shell)) return null;
  for (const [pattern, what] of BASH_ONLY) {
    if (pattern.test(text)) return `${shell} is not bash and reads ${what} differently, so what it runs may not be what was judged`;
  }
  return null;
}
