/** Pages of checks merged by id (a later copy wins), latest first as the log lists them. */
export function mergeChecks<Check extends { id: string; checkedAt: string }>(...pages: readonly (readonly Check[])[]): Check[] {
  const byId = new Map<string, Check>();
  for (const page of pages) for (const check of page) byId.set(check.id, check);
  return [...byId.values()].sort((a, b) => Date.parse(b.checkedAt) - Date.parse(a.checkedAt) || (a.id < b.id ? 1 : -1));
}
