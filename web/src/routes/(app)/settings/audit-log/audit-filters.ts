// The audit log's filters live in the page's URL (?action=…&actor=…&from=…&to=…), so a filtered
// view can be bookmarked, shared and reloaded. Dates are whole days in the browser's time zone:
// `from` is that day's start, `to` includes that whole day.

export type AuditFilters = {
  /** An action ("member.invited"), or a prefix the API accepts ("webhook.*"). */
  action: string;
  /** A member's user id. */
  actor: string;
  /** YYYY-MM-DD */
  from: string;
  /** YYYY-MM-DD */
  to: string;
};

const KEYS = ["action", "actor", "from", "to"] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function readFilters(params: URLSearchParams): AuditFilters {
  const get = (key: (typeof KEYS)[number]) => params.get(key)?.trim() ?? "";
  const day = (value: string) => (DAY.test(value) && !Number.isNaN(startOfDay(value).getTime()) ? value : "");
  return { action: get("action").slice(0, 100), actor: get("actor").slice(0, 64), from: day(get("from")), to: day(get("to")) };
}

export function hasFilters(filters: AuditFilters): boolean {
  return KEYS.some((key) => filters[key] !== "");
}

/** The query string for these filters (empty ones left out), with its "?" ("" when none). */
export function filtersSearch(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of KEYS) if (filters[key]) params.set(key, filters[key]);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function startOfDay(day: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d);
}

/** Query.auditEvents' arguments for these filters: `from` inclusive, `to` exclusive (the next day's start). */
export function filterVariables(filters: AuditFilters): { action: string | null; actorUserId: string | null; from: string | null; to: string | null } {
  let to: string | null = null;
  if (filters.to) {
    const end = startOfDay(filters.to);
    end.setDate(end.getDate() + 1);
    to = end.toISOString();
  }
  return {
    action: filters.action || null,
    actorUserId: filters.actor || null,
    from: filters.from ? startOfDay(filters.from).toISOString() : null,
    to,
  };
}
