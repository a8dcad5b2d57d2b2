import { useUsage } from '../context';

/** Loud when spend nears or passes a budget; silent otherwise. */
export function BudgetBanner({ compact = false }: { compact?: boolean }) {
  const budget = useUsage((s) => s.report?.budget);
  if (!budget || budget.state === 'ok') return null;
  const exceeded = budget.state === 'exceeded';
  return (
    <div className={`budget-banner budget-${budget.state} ${compact ? 'budget-banner-compact' : ''}`} role={exceeded ? 'alert' : 'status'} data-budget-state={budget.state}>
      <strong>{exceeded ? 'Budget exceeded' : 'Budget warning'}</strong>
      <span>
        {budget.message ?? (exceeded ? 'Remote models are blocked; local models and the offline engine still answer.' : 'Spend is close to the budget.')}
      </span>
    </div>
  );
}
