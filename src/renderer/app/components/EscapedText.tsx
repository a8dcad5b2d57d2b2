import { controlSegments, type EscapeOptions } from '../../../shared/text/escape-controls';

/**
 * Text Fleetmind did not write (a proposed command, the agent's purpose, host output),
 * with every control, invisible and direction-changing character shown as a marked
 * escape (`\x1b`, `\r`, `\u202e`). React escapes HTML, not these: a browser hides
 * zero-width characters and obeys bidi overrides, so a command could read differently
 * from what runs. Each mark names the character it stands for.
 */
export function EscapedText({ text, multiline = false }: { text: string } & EscapeOptions) {
  const segments = controlSegments(text, { multiline });
  if (segments.length === 1 && segments[0]!.kind === 'text') return <>{text}</>;
  return (
    <>
      {segments.map((s, i) =>
        s.kind === 'text' ? (
          s.text
        ) : (
          <span key={i} className="control-char" data-code-point={s.codePoint.toString(16)} title={`U+${s.codePoint.toString(16).toUpperCase().padStart(4, '0')} ${s.name}`}>
            {s.text}
          </span>
        ),
      )}
    </>
  );
}
