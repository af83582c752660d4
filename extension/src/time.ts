/**
 * Times as people read them: in their own time zone (Intl), durations in
 * h/m/s, and "in 5 min" / "3 h ago" next to absolute times.
 */

/** The browser's IANA time zone, e.g. "Europe/Berlin" ("UTC" when unknown). */
export function userTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** IANA zone names the browser knows, for a datalist (empty when it cannot list them). */
export function knownTimeZones(): string[] {
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/** Whether `zone` is an IANA zone the browser can format in. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parse `iso` into a Date, or null when it is empty or not a time. */
function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) {
    return null;
  }
  const date = new Date(iso);
  return isNaN(date.getTime()) ? null : date;
}

/**
 * The one date format of the sidebar: "6 Dec 2026, 14:05" in `zone`
 * (default: the user's). "—" when there is no time; the text itself when it
 * is not one.
 */
export function formatDate(
  iso: string | null | undefined,
  zone?: string
): string {
  const date = parseTime(iso);
  if (!date) {
    return iso ? iso : '—';
  }
  try {
    return new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: zone || undefined
    } as Intl.DateTimeFormatOptions).format(date);
  } catch {
    return date.toISOString().slice(0, 16).replace('T', ' ');
  }
}

/**
 * `iso` as "Mon 1 Dec 2026, 06:00 CET": the one date format with the
 * weekday and the zone, where a schedule's zone matters (default: the
 * user's zone). Also the tooltip of every relative time.
 */
export function formatInZone(
  iso: string | null | undefined,
  zone?: string
): string {
  const date = parseTime(iso);
  if (!date) {
    return iso ? iso : '—';
  }
  let weekday = '';
  let zoneName = '';
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      timeZoneName: 'short',
      timeZone: zone || undefined
    }).formatToParts(date);
    weekday = parts.find(p => p.type === 'weekday')?.value ?? '';
    zoneName = parts.find(p => p.type === 'timeZoneName')?.value ?? '';
  } catch {
    // an unknown zone: formatDate falls back to UTC below
  }
  return [weekday, formatDate(iso, zone), zoneName].filter(Boolean).join(' ');
}

/** Times closer than this to now are said relatively ("10 min ago"). */
const RELATIVE_SPAN_MS = 7 * 86400_000;

/**
 * "10 min ago" / "in 2 hr" within a week of `now`, else the date
 * ({@link formatDate}).
 */
export function formatWhen(
  iso: string | null | undefined,
  now: number = Date.now()
): string {
  const date = parseTime(iso);
  if (!date) {
    return iso ? iso : '—';
  }
  return Math.abs(date.getTime() - now) < RELATIVE_SPAN_MS
    ? relativeTime(iso, now)
    : formatDate(iso);
}

/** The attribute marking a `<time>` the ticker keeps current. */
export const RELATIVE_ATTRIBUTE = 'data-aios-relative';

/** How often rendered relative times are brought up to date, in ms. */
export const TICK_INTERVAL_MS = 30_000;

/**
 * A `<time>` saying `iso` relatively ("10 min ago"; the date when older than
 * a week) with the full date in its tooltip, kept current by the ticker; or,
 * with `relative: false`, the date alone ("6 Dec 2026, 14:05").
 */
export function timeElement(
  iso: string | null | undefined,
  options: { relative?: boolean; className?: string; testid?: string } = {}
): HTMLTimeElement {
  const relative = options.relative !== false;
  const node = document.createElement('time');
  if (options.className) {
    node.className = options.className;
  }
  if (options.testid) {
    node.dataset.testid = options.testid;
  }
  if (!parseTime(iso)) {
    node.textContent = iso || '—';
    return node;
  }
  node.dateTime = iso as string;
  node.title = formatInZone(iso);
  node.textContent = relative ? formatWhen(iso) : formatDate(iso);
  if (relative) {
    node.setAttribute(RELATIVE_ATTRIBUTE, '');
    startRelativeTimeTicker();
  }
  return node;
}

/**
 * Bring every relative `<time>` under `root` up to date; returns how many
 * changed. The ticker calls it; sections may call it after a render.
 */
export function refreshRelativeTimes(
  root: ParentNode = document,
  now: number = Date.now()
): number {
  let changed = 0;
  root
    .querySelectorAll<HTMLTimeElement>(`time[${RELATIVE_ATTRIBUTE}]`)
    .forEach(node => {
      const text = formatWhen(node.dateTime, now);
      if (node.textContent !== text) {
        node.textContent = text;
        changed++;
      }
    });
  return changed;
}

let ticker: number | null = null;

function onVisibilityChange(): void {
  if (document.visibilityState !== 'hidden') {
    refreshRelativeTimes();
  }
}

/**
 * Start the one ticker (idempotent): every {@link TICK_INTERVAL_MS} while
 * the page is visible, and when it becomes visible again, every relative
 * time on the page is brought up to date, so none freezes.
 */
export function startRelativeTimeTicker(): void {
  if (ticker !== null || typeof window === 'undefined') {
    return;
  }
  ticker = window.setInterval(() => {
    if (document.visibilityState !== 'hidden') {
      refreshRelativeTimes();
    }
  }, TICK_INTERVAL_MS);
  document.addEventListener('visibilitychange', onVisibilityChange);
}

/** Stop the ticker (tests; the extension never needs to). */
export function stopRelativeTimeTicker(): void {
  if (ticker !== null) {
    window.clearInterval(ticker);
    ticker = null;
    document.removeEventListener('visibilitychange', onVisibilityChange);
  }
}

/** A duration in seconds as "850 ms", "42 s", "3 min 5 s" or "2 h 10 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = Math.round(seconds - minutes * 60);
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes - hours * 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** "in 5 min", "3 h ago", "just now" for `iso` relative to `now`. */
export function relativeTime(
  iso: string | null | undefined,
  now: number = Date.now()
): string {
  if (!iso) {
    return '';
  }
  const then = Date.parse(iso);
  if (isNaN(then)) {
    return '';
  }
  const seconds = (then - now) / 1000;
  const size = Math.abs(seconds);
  if (size < 45) {
    return seconds > 0 ? 'in a moment' : 'just now';
  }
  const units: [number, string][] = [
    [60, 'second'],
    [3600, 'minute'],
    [86400, 'hour'],
    [86400 * 30, 'day'],
    [86400 * 365, 'month'],
    [Infinity, 'year']
  ];
  const divisors: Record<string, number> = {
    second: 1,
    minute: 60,
    hour: 3600,
    day: 86400,
    month: 86400 * 30,
    year: 86400 * 365
  };
  const unit = units.find(([limit]) => size < limit)?.[1] ?? 'year';
  const value = Math.round(seconds / divisors[unit]);
  // Intl.RelativeTimeFormat is ES2020; the extension's lib is ES2018, so reach it untyped.
  const format = (Intl as unknown as Record<string, unknown>)
    .RelativeTimeFormat as
    | (new (
        locale?: string,
        options?: Record<string, string>
      ) => {
        format(value: number, unit: string): string;
      })
    | undefined;
  if (!format) {
    return seconds > 0
      ? `in ${Math.abs(value)} ${unit}s`
      : `${Math.abs(value)} ${unit}s ago`;
  }
  return new format(undefined, { numeric: 'auto', style: 'short' }).format(
    value,
    unit
  );
}
