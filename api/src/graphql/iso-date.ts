// DateTime values leave the API as Date.prototype.toISOString() writes them. Written out by hand
// here because a dashboard answer carries one per check (1,500 for a page of 50 cards with 30
// checks each) and V8's toISOString costs about twice this arithmetic (benchmark 1, §1 of
// docs/performance.md). Dates outside 1970–9999 (and invalid ones, which throw) go to
// toISOString itself; iso-date.test.ts compares the two.

const MAX_MS = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** The same string as `date.toISOString()`. */
export function isoString(date: Date): string {
  const t = date.getTime();
  if (!(t >= 0 && t < MAX_MS)) return date.toISOString();
  const seconds = Math.floor(t / 1000);
  const days = Math.floor(seconds / 86_400);
  const s = seconds - days * 86_400;
  // Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const y = year < 1000 ? `${year}`.padStart(4, "0") : `${year}`;
  return `${y}-${two(month)}-${two(day)}T${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}.${three(t % 1000)}Z`;
}
