import type { DestinationStream } from 'pino';
import { escapeJsonText } from '../../shared/text/escape-controls';

/**
 * pino writes JSON lines, which escape C0 controls but leave C1 controls (an 8-bit CSI),
 * DEL and bidi or zero-width characters raw. Log lines quote commands, hosts and errors,
 * and stderr is often a terminal, so those are escaped too; each line parses the same.
 */
export function terminalSafeLog(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(escapeJsonText(line)) };
}
