import { z } from 'zod';
import { ApiErrorSchema } from './errors';

/**
 * Structured pieces of a chat answer that the UI renders as components instead of text:
 * the commands a tool call ran on each host with their (bounded) output, findings with a
 * severity, and tables. Any producer may fill them (tools, the offline engine, a diagnosis
 * module, a model-driven agent); every field is optional on the records that carry them, so
 * older records and older clients keep working. Host output is hostile text: faces show it
 * escaped (shared/text/escape-controls), never as markup.
 */

/** Output kept per stream and command: the first and last this many characters, with a marker between. */
export const COMMAND_OUTPUT_HEAD_CHARS = 8 * 1024;
export const COMMAND_OUTPUT_TAIL_CHARS = 8 * 1024;
/** Commands kept per tool call (a fan-out over a large fleet keeps the first ones). */
export const MAX_COMMAND_RUNS = 64;

/** One command run on one host, as a tool call reports it. */
export const CommandRunSchema = z.object({
  host: z.string(),
  /** The command as it ran: run_command's text (as expanded on the host), or a tool's argv joined by spaces. */
  command: z.string(),
  /** null when the process did not exit normally (refused, timeout, unreachable...). */
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nonnegative(),
  stdout: z.string(),
  stderr: z.string(),
  /** True when output was cut (by the executor's cap or to fit here); the text carries a marker where. */
  truncated: z.boolean().optional(),
  error: ApiErrorSchema.nullable(),
});
export type CommandRun = z.infer<typeof CommandRunSchema>;

export const FindingSeveritySchema = z.enum(['ok', 'info', 'warning', 'critical']);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

/** Something worth the operator's attention, on one host or (host null) the fleet. */
export const FindingSchema = z.object({
  host: z.string().nullable(),
  severity: FindingSeveritySchema,
  title: z.string(),
  detail: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const TableCellSchema = z.union([z.string(), z.number(), z.null()]);
export type TableCell = z.infer<typeof TableCellSchema>;

/** A table: rows are arrays in column order (a cell may be null: not known). */
export const TableBlockSchema = z.object({
  title: z.string().optional(),
  columns: z.array(z.string()),
  rows: z.array(z.array(TableCellSchema)),
});
export type TableBlock = z.infer<typeof TableBlockSchema>;

/** The optional structured fields a tool call record (or a message) may carry. */
export const ChatBlocksSchema = z.object({
  commands: z.array(CommandRunSchema).optional(),
  findings: z.array(FindingSchema).optional(),
  table: TableBlockSchema.optional(),
});
export type ChatBlocks = z.infer<typeof ChatBlocksSchema>;

/**
 * Output bounded for display and storage: the first `head` and last `tail` characters with a
 * marker saying how much was left out. The cut is moved to a line break when one is near, so
 * a line (and a secret on it) is kept whole or dropped whole, never stored in part.
 */
export function clipOutput(text: string, head = COMMAND_OUTPUT_HEAD_CHARS, tail = COMMAND_OUTPUT_TAIL_CHARS): { text: string; clipped: boolean } {
  if (text.length <= head + tail) return { text, clipped: false };
  let headEnd = head;
  const nl = text.lastIndexOf('\n', head);
  if (nl >= head / 2) headEnd = nl + 1;
  let tailStart = text.length - tail;
  const nl2 = text.indexOf('\n', tailStart);
  if (nl2 !== -1 && nl2 < text.length - tail / 2) tailStart = nl2 + 1;
  if (tailStart <= headEnd) return { text, clipped: false };
  const omitted = tailStart - headEnd;
  return { text: `${text.slice(0, headEnd)}\n[… ${omitted} characters omitted …]\n${text.slice(tailStart)}`, clipped: true };
}
