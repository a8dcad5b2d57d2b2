import { useStore } from 'zustand';
import type { AlertsStore } from '../store';

/** The firing count beside the Alerts tab (nothing when none fire). */
export function AlertsBadge({ store }: { store: AlertsStore }) {
  const firing = useStore(store, (s) => s.list?.counts.firing ?? 0);
  if (firing === 0) return null;
  return (
    <span className="tab-count alerts-badge" data-testid="alerts-badge" title={`${firing} alert${firing === 1 ? '' : 's'} firing`}>
      {firing}
      <span className="sr-only"> firing</span>
    </span>
  );
}
