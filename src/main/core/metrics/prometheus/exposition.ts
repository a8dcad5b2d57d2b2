/**
 * The Prometheus text exposition format (version 0.0.4, what node_exporter serves by
 * default): `# HELP` / `# TYPE` lines and samples `name{label="value",...} value [timestamp]`.
 *
 * Written here rather than taken from npm: the one small parser there
 * (parse-prometheus-text-format) returns values as strings grouped per family and reports
 * no line numbers; this one keeps only what the mapping needs (samples with numeric
 * values), refuses what it cannot read with the line it stopped at, and is bounded.
 */

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  /** NaN, +Inf and -Inf are kept as such. */
  value: number;
  /** Unix ms when the exposition gave one, else null. */
  timestampMs: number | null;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exposition {
  samples: ExpositionSample[];
  /** `# TYPE` per family name. */
  types: Map<string, MetricType>;
}

export class ExpositionError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

export interface ParseLimits {
  /** Samples read at most (a runaway exporter must not exhaust memory). Default 500 000. */
  maxSamples?: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A float as Go's strconv.ParseFloat reads the exposition's values (NaN, ±Inf included). */
export function parseValue(text: string): number | null {
  switch (text.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
  }
  // Number('') is 0 and Number('0x10') is 16: neither is a sample value.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Parses a whole exposition; throws ExpositionError (with the line number) on the first line it cannot read. */
export function parseExposition(text: string, limits: ParseLimits = {}): Exposition {
  const maxSamples = limits.maxSamples ?? 500_000;
  const samples: ExpositionSample[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] as string).replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed);
      if (m && m[1] === 'TYPE') {
        const type = (m[3] ?? '').trim() as MetricType;
        if (!NAME.test(m[2] as string)) throw new ExpositionError(`"${m[2]}" is not a metric name`, lineNo);
        if (!TYPES.has(type)) throw new ExpositionError(`unknown metric type "${m[3] ?? ''}" for ${m[2]}`, lineNo);
        types.set(m[2] as string, type);
      }
      // HELP text and other comments carry nothing the mapping needs.
      continue;
    }
    if (samples.length >= maxSamples) throw new ExpositionError(`more than ${maxSamples} samples`, lineNo);
    samples.push(parseSampleLine(trimmed, lineNo));
  }
  return { samples, types };
}

function parseSampleLine(line: string, lineNo: number): ExpositionSample {
  const nameMatch = NAME.exec(line);
  if (!nameMatch) throw new ExpositionError(`expected a metric name in "${clip(line)}"`, lineNo);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  const skipSpace = () => {
    while (pos < line.length && (line[pos] === ' ' || line[pos] === '\t')) pos++;
  };
  skipSpace();
  if (line[pos] === '{') {
    pos++;
    // Bounded: every iteration consumes a label pair or the closing brace, or throws.
    for (;;) {
      skipSpace();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(pos));
      if (!ln) throw new ExpositionError(`expected a label name or } in "${clip(line)}"`, lineNo);
      const labelName = ln[0];
      pos += labelName.length;
      skipSpace();
      if (line[pos] !== '=') throw new ExpositionError(`expected = after label ${labelName} in "${clip(line)}"`, lineNo);
      pos++;
      skipSpace();
      if (line[pos] !== '"') throw new ExpositionError(`expected a quoted value for label ${labelName} in "${clip(line)}"`, lineNo);
      pos++;
      let value = '';
      let closed = false;
      while (pos < line.length) {
        const c = line[pos] as string;
        if (c === '\\') {
          const next = line[pos + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else if (next === undefined) break;
          // An unknown escape is kept as written (as the Go parser does).
          else value += `\\${next}`;
          pos += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          pos++;
          break;
        }
        value += c;
        pos++;
      }
      if (!closed) throw new ExpositionError(`unterminated value of label ${labelName}`, lineNo);
      if (Object.prototype.hasOwnProperty.call(labels, labelName)) throw new ExpositionError(`label ${labelName} given twice`, lineNo);
      labels[labelName] = value;
      skipSpace();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new ExpositionError(`expected , or } after label ${labelName} in "${clip(line)}"`, lineNo);
    }
  }
  const rest = line.slice(pos).trim().split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '') throw new ExpositionError(`no value for ${name}`, lineNo);
  if (rest.length > 2) throw new ExpositionError(`unexpected text after the value of ${name}: "${clip(rest.slice(2).join(' '))}"`, lineNo);
  const value = parseValue(rest[0] as string);
  if (value === null) throw new ExpositionError(`"${clip(rest[0] as string)}" is not a number (value of ${name})`, lineNo);
  let timestampMs: number | null = null;
  if (rest.length === 2) {
    if (!/^-?\d+$/.test(rest[1] as string)) throw new ExpositionError(`"${clip(rest[1] as string)}" is not a timestamp (milliseconds) for ${name}`, lineNo);
    timestampMs = Number(rest[1]);
  }
  return { name, labels, value, timestampMs };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
