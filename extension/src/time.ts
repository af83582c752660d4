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

/**
 * `iso` as "Mon, 1 Dec 2026, 06:00 CET" in `zone` (default: the user's).
 */
export function formatInZone(
  iso: string | null | undefined,
  zone?: string
): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  try {
    return new Intl.DateTimeFormat(undefined, {
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
      timeZone: zone || undefined
    }).format(date);
  } catch {
    return date.toLocaleString();
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
