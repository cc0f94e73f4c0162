// The reviewer's checklist: every configured item must be ticked for an approval to count.
// Ticks arrive as a list of labels (the sidebar, the API) or as `{label: true}` (a dashboard
// form); both are read the same way, and anything not configured is ignored.

export type Ticks = string[] | Record<string, boolean> | undefined;

/** The configured checklist with each item marked ticked or not. */
export function readTicks(checklist: readonly string[], ticks: Ticks): Record<string, boolean> {
  const ticked = new Set<string>();
  if (Array.isArray(ticks)) {
    for (const t of ticks) if (typeof t === 'string') ticked.add(t);
  } else if (ticks && typeof ticks === 'object') {
    for (const [label, on] of Object.entries(ticks)) if (on === true) ticked.add(label);
  }
  const out: Record<string, boolean> = {};
  for (const label of checklist) out[label] = ticked.has(label);
  return out;
}

/** The labels still unticked; empty when the approval may count. */
export function missingTicks(marked: Record<string, boolean>): string[] {
  return Object.entries(marked)
    .filter(([, on]) => !on)
    .map(([label]) => label);
}
