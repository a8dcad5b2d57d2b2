/**
 * POSIX shell quoting for commands sent to a remote host. SSH has no argv: the server
 * hands one string to the login shell (`$SHELL -c STRING`), so every word we send is
 * wrapped in single quotes, inside which a POSIX shell treats every character literally.
 * A single quote itself cannot appear inside single quotes, so it is written as `'\''`
 * (close quote, escaped quote, reopen). NUL cannot be passed through a shell at all.
 */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  // Words made only of safe characters need no quotes; this keeps commands readable in logs.
  // `=` is not among them: `A=1 cmd` would be read as an assignment; `~`, `{}`, `*` expand.
  if (word.length > 0 && /^[A-Za-z0-9_@%+:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv → one shell command line that the remote shell splits back into exactly these words. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('cannot quote an empty argv');
  return argv.map(shQuote).join(' ');
}
