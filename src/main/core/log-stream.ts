import type { DestinationStream } from 'pino';
import { escapeJsonText } from '../../shared/text/escape-controls';
import { Redactor } from './privacy';
import { mapStrings } from './store';

/**
 * pino writes JSON lines, which escape C0 controls but leave C1 controls (an 8-bit CSI),
 * DEL and bidi or zero-width characters raw. Log lines quote commands, hosts and errors,
 * and stderr is often a terminal, so those are escaped too; each line parses the same.
 * Those quotes can carry secrets (a token in a request URL, a password in a command or an
 * error), and logs are kept on disk by whoever runs the server: every line is redacted.
 */
export function terminalSafeLog(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(escapeJsonText(redactLogLine(line))) };
}

/**
 * A log line with every secret replaced by a typed placeholder (one redaction session per
 * line). A JSON line is redacted value by value: inside the JSON text a secret appears with
 * escapes (a private key's newlines as `\n`) that the rules would not read as the secret, and
 * a replacement there could cut an escape in half and break the line. A line without
 * secrets is written exactly as it came.
 */
export function redactLogLine(line: string): string {
  const redactor = new Redactor();
  const text = (t: string) => redactor.redactText(t);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return text(line);
  }
  const redacted = mapStrings(parsed, text);
  if (redactor.size === 0) return line;
  return `${JSON.stringify(redacted)}${line.endsWith('\n') ? '\n' : ''}`;
}
