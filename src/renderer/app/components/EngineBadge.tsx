import type { Engine } from '../../../shared/protocol';

/**
 * Says who answered: the offline engine (live data, no AI) or a model. Labelled plainly
 * because an offline answer must never pass for a model's.
 */
export function EngineBadge({ engine, model }: { engine: Engine; model?: string | null }) {
  const offline = engine === 'offline';
  const label = offline ? 'offline engine' : (model ?? 'model');
  return (
    <span
      className={`badge ${offline ? 'badge-offline' : 'badge-model'}`}
      title={offline ? 'Answered from live system data by the built-in offline engine; no AI model is configured' : `Answered by ${label}`}
    >
      {label}
    </span>
  );
}
