// Small text helpers shared by checks and the diagnosis.
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
}
