const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** Dollars with cents, and more digits for the fractions of a cent small models cost. */
export function formatUsd(n: number): string {
  if (n === 0) return '$0.00';
  if (n < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

/** Share of a limit for a meter, 0..1; null without a limit. */
export function share(spent: number, limit: number | null): number | null {
  if (limit === null || limit <= 0) return null;
  return Math.min(1, spent / limit);
}
