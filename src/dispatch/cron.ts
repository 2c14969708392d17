/**
 * Cron schedules: the standard 5-field expression, and its ticks in an IANA
 * time zone.
 *
 * Semantics are Vixie cron's, as cronie ships it on most Linux systems, so a
 * line copied from a crontab means the same here:
 * - Day-of-month and day-of-week: when both are restricted, either may match;
 *   otherwise both must. "Restricted" is decided on the field's first
 *   character (entry.c: `if (ch == '*') e->flags |= DOM_STAR;`), so a star
 *   with a step still counts as unrestricted, as in every Vixie-derived cron.
 * - Daylight saving (cronie's cron(8), "Daylight Saving Time and other time
 *   changes"): an expression whose minute or hour field starts with `*` is a
 *   frequent one and keeps to the wall clock: it fires in both passes of a
 *   repeated hour and not at all in a skipped one. Every other expression
 *   names fixed times: a time a spring-forward gap skips fires once, at the
 *   first instant after the gap; a time in a repeated hour fires once, on its
 *   first pass.
 *
 * Intl (workerd ships full ICU) tells an instant's local reading, but not the
 * instants of a local reading nor when offsets change. So the search walks
 * local days that match the date fields, probes the offset a day either side
 * of each, and only on a day near a change binary-searches the change's
 * minute. Everything else is arithmetic on fields: never minute by minute.
 */

export class CronSyntaxError extends Error {
  override readonly name = "CronSyntaxError";
}

export class TimezoneError extends Error {
  override readonly name = "TimezoneError";
}

export class CronNoTickError extends Error {
  override readonly name = "CronNoTickError";
}

export interface Cron {
  /** As written, for messages. */
  readonly expression: string;
  /** Allowed values of each field, ascending and unique. */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 is Sunday; a 7 in the expression is folded into 0. */
  readonly daysOfWeek: readonly number[];
  /** "either" when both day fields are restricted (Vixie's OR), else "both". */
  readonly dayMatch: "either" | "both";
  /** The minute or hour field starts with `*`: ticks keep to the wall clock across DST changes (see the header). */
  readonly wallClock: boolean;
}

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Three-letter names for min, min + 1, ... */
  readonly names?: readonly string[];
  readonly example: string;
}

const FIELDS: readonly [Field, Field, Field, Field, Field] = [
  { name: "minute", min: 0, max: 59, example: "*/15 * * * *" },
  { name: "hour", min: 0, max: 23, example: "0 9-17 * * *" },
  { name: "day-of-month", min: 1, max: 31, example: "0 0 1,15 * *" },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], example: "0 0 1 JAN,JUL *" },
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], example: "0 9 * * MON-FRI" },
];

const MACROS = new Map([
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@hourly", "0 * * * *"],
]);

/** The most days each month can have (February in a leap year), index 1 = January. */
const LONGEST_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseCron(expression: string): Cron {
  const trimmed = expression.trim();
  if (trimmed === "") {
    throw syntaxError(expression, `the expression is empty; write five fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * MON-FRI".`);
  }
  let text = trimmed;
  if (trimmed.startsWith("@")) {
    const macro = MACROS.get(trimmed.toLowerCase());
    if (macro === undefined) {
      throw syntaxError(expression, `"${trimmed}" is not a cron macro; use one of ${[...MACROS.keys()].join(", ")}, or five fields such as "*/5 * * * *".`);
    }
    text = macro;
  }
  const parts = text.split(/\s+/);
  if (parts.length === 6) {
    throw syntaxError(
      expression,
      `it has 6 fields, but schedules run on whole minutes, so there is no seconds (or year) field; drop it to leave minute hour day-of-month month day-of-week, e.g. "*/5 * * * *".`,
    );
  }
  if (parts.length !== 5) {
    throw syntaxError(expression, `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}; e.g. "0 9 * * MON-FRI" or a macro such as "@daily".`);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts as [string, string, string, string, string];
  const [minuteField, hourField, dayOfMonthField, monthField, dayOfWeekField] = FIELDS;
  const cron: Cron = {
    expression,
    minutes: parseField(expression, minuteField, minute),
    hours: parseField(expression, hourField, hour),
    daysOfMonth: parseField(expression, dayOfMonthField, dayOfMonth),
    months: parseField(expression, monthField, month),
    daysOfWeek: [...new Set(parseField(expression, dayOfWeekField, dayOfWeek).map((day) => day % 7))].sort((a, b) => a - b),
    dayMatch: dayOfMonth.startsWith("*") || dayOfWeek.startsWith("*") ? "both" : "either",
    wallClock: minute.startsWith("*") || hour.startsWith("*"),
  };
  // With "both" the date must exist in a chosen month; after that, every date falls on every weekday in some year.
  if (cron.dayMatch === "both" && !cron.months.some((m) => cron.daysOfMonth[0]! <= LONGEST_MONTH[m]!)) {
    throw syntaxError(
      expression,
      `it never fires: day-of-month "${dayOfMonth}" does not occur in month "${month}"; pick days every chosen month has, e.g. "0 0 28 2 *" or "0 0 30 4,6,9,11 *".`,
    );
  }
  return cron;
}

function syntaxError(expression: string, problem: string): CronSyntaxError {
  return new CronSyntaxError(`repoflow: cron "${expression}": ${problem}`);
}

function fieldError(expression: string, field: Field, part: string, problem: string): CronSyntaxError {
  return syntaxError(expression, `${field.name} "${part}" ${problem}; a valid example: "${field.example}".`);
}

function parseField(expression: string, field: Field, text: string): number[] {
  const allowed = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw fieldError(expression, field, text, "has an empty list item");
    const [range, stepText, extra] = part.split("/") as [string, string | undefined, string | undefined];
    if (extra !== undefined) throw fieldError(expression, field, part, `has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      step = /^\d+$/.test(stepText) ? Number(stepText) : 0;
      // A larger step could only ever give the range's start: likely "*/60" meant as hourly.
      if (step < 1 || step > field.max - field.min) throw fieldError(expression, field, part, `has step "${stepText}"; a step is a whole number from 1 to ${field.max - field.min}`);
    }
    let low = field.min;
    let high = field.max;
    if (range !== "*") {
      const [from, to, rest] = range.split("-") as [string, string | undefined, string | undefined];
      if (rest !== undefined) throw fieldError(expression, field, part, `has more than one "-"`);
      low = value(expression, field, part, from);
      high = to === undefined ? low : value(expression, field, part, to);
      if (to === undefined && stepText !== undefined) {
        throw fieldError(expression, field, part, `puts a step on a single value; a step needs a range or "*", e.g. "${from}-${field.max}/${stepText}"`);
      }
      if (low > high) {
        throw fieldError(expression, field, part, `is a range that runs backwards; write it low to high, or as two ranges such as "${from}-${field.max},${field.min}-${to}"`);
      }
    }
    for (let v = low; v <= high; v += step) allowed.add(v);
  }
  return [...allowed].sort((a, b) => a - b);
}

function value(expression: string, field: Field, part: string, text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < field.min || n > field.max) throw fieldError(expression, field, part, `is out of range: ${field.name} runs from ${field.min} to ${field.max}`);
    return n;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index === -1) {
    const names = field.names === undefined ? "" : ` or a name ${field.names[0]}-${field.names[field.names.length - 1]}`;
    throw fieldError(expression, field, part, `has "${text}", which is not a number from ${field.min} to ${field.max}${names}`);
  }
  return field.min + index;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timezone: string): Intl.DateTimeFormat {
  let format = formats.get(timezone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new TimezoneError(
        `repoflow: "${timezone}" is not a time zone; use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC" (list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).`,
      );
    }
    formats.set(timezone, format);
  }
  return format;
}

/**
 * The zone's name, spelled as ICU spells it when only letter case differs
 * ("europe/berlin" is "Europe/Berlin"). Otherwise the name as written: ICU in
 * Node and workerd alike resolves some current IANA names to retired ones
 * (Asia/Kolkata to Asia/Calcutta, Europe/Kyiv to Europe/Kiev), which would
 * surprise whoever wrote them.
 */
export function checkTimezone(timezone: string): string {
  const resolved = formatFor(timezone).resolvedOptions().timeZone;
  return resolved.toLowerCase() === timezone.toLowerCase() ? resolved : timezone;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

// The rarest schedule parseCron accepts, 29 February on one weekday ("0 0 29 2 */7":
// the star makes both day fields count), goes 40 years between ticks across 2100,
// which is not a leap year.
const SEARCH_DAYS = 41 * 366;

/** Milliseconds to add to an instant to get its local wall-clock reading. */
type OffsetAt = (instant: number) => number;

function offsetsIn(timezone: string): OffsetAt {
  if (timezone === "UTC") return () => 0;
  const format = formatFor(timezone);
  return (instant) => {
    const field = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of format.formatToParts(instant)) {
      if (part.type in field) field[part.type as keyof typeof field] = Number(part.value);
    }
    const local = Date.UTC(field.year, field.month - 1, field.day, field.hour, field.minute, field.second);
    return local - (instant - (((instant % 1000) + 1000) % 1000));
  };
}

/** Epoch ms of the first tick strictly after `after` (ticks are whole minutes). */
export function nextTick(cron: Cron, after: number, timezone: string = "UTC"): number {
  const offsetAt = offsetsIn(timezone);
  if (!(Math.abs(after) <= MAX_TIME)) throw noTick(cron, after);
  const first = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  // A day early: a change that turns the clock back past midnight gives later instants the previous date.
  const start = Math.floor((first + offsetAt(first)) / DAY) - 1;
  const last = start + SEARCH_DAYS;
  for (let day = matchingDay(cron, start, last); day !== null; day = matchingDay(cron, day + 1, last)) {
    const found = firstTickOn(cron, offsetAt, day, first);
    if (found === null) continue;
    if (!found.nearChange) return found.tick;
    // Near a change that turns the clock back across midnight, the next day's first minutes come before this day's repeated ones.
    const nextDay = matchingDay(cron, day + 1, day + 1);
    const next = nextDay === null ? null : firstTickOn(cron, offsetAt, nextDay, first);
    return next === null ? found.tick : Math.min(found.tick, next.tick);
  }
  throw noTick(cron, after);
}

/** The largest epoch ms a Date can hold (ECMA-262 TimeClip). */
const MAX_TIME = 8.64e15;

function noTick(cron: Cron, after: number): CronNoTickError {
  const when = Math.abs(after) <= MAX_TIME ? new Date(after).toISOString() : String(after);
  return new CronNoTickError(
    `repoflow: cron "${cron.expression}" has no tick in the ${Math.floor(SEARCH_DAYS / 366)} years after ${when}; pass \`after\` as epoch milliseconds of a date before the year 275760, and build schedules with parseCron(), which rejects expressions that never fire.`,
  );
}

export interface TicksBetween {
  /** Ticks in (from, to], counted up to 100. */
  readonly count: number;
  /** There were more than `count`. */
  readonly capped: boolean;
  /** The latest tick in (from, to], or null when there is none. */
  readonly last: number | null;
}

const TICK_COUNT_LIMIT = 100;

/**
 * The ticks a scheduler missed between its last run at `from` and now (`to`):
 * it runs the latest once, not once per missed tick, and reports how many it
 * collapsed.
 */
export function ticksBetween(cron: Cron, from: number, to: number, timezone: string = "UTC"): TicksBetween {
  let count = 0;
  let last: number | null = null;
  for (let tick = nextTick(cron, from, timezone); tick <= to; tick = nextTick(cron, tick, timezone)) {
    if (count === TICK_COUNT_LIMIT) return { count, capped: true, last: latestTick(cron, tick - 1, to, timezone) };
    count++;
    last = tick;
  }
  return { count, capped: false, last };
}

/**
 * Binary search on "the next tick after s is still at or before `to`", which
 * holds at `low` and fails at `to`: narrowed to a minute, the next tick after
 * `low` is the only whole minute left, so it is the latest.
 */
function latestTick(cron: Cron, low: number, to: number, timezone: string): number {
  let high = to;
  while (high - low > MINUTE) {
    const mid = low + Math.floor((high - low) / 2);
    if (nextTick(cron, mid, timezone) <= to) low = mid;
    else high = mid;
  }
  return nextTick(cron, low, timezone);
}

function dayMatches(cron: Cron, date: number, weekday: number): boolean {
  const byDate = cron.daysOfMonth.includes(date);
  const byWeekday = cron.daysOfWeek.includes(weekday);
  return cron.dayMatch === "either" ? byDate || byWeekday : byDate && byWeekday;
}

/** The first local day (days since 1970-01-01 on the wall clock) from `from` to `last` whose date matches. */
function matchingDay(cron: Cron, from: number, last: number): number | null {
  let day = from;
  while (day <= last) {
    const date = new Date(day * DAY);
    const month = date.getUTCMonth() + 1;
    if (cron.months.includes(month)) {
      if (dayMatches(cron, date.getUTCDate(), date.getUTCDay())) return day;
      day++;
      continue;
    }
    const later = cron.months.find((m) => m > month);
    const year = date.getUTCFullYear();
    day = (later === undefined ? Date.UTC(year + 1, cron.months[0]! - 1, 1) : Date.UTC(year, later - 1, 1)) / DAY;
  }
  return null;
}

/**
 * The day's first tick at or after `first`. A local day's instants lie within
 * 14 hours before and 12 after its wall-clock span, so offsets probed a day
 * either side tell whether a change touches it (at most one does: changes are
 * months apart in every zone).
 */
function firstTickOn(cron: Cron, offsetAt: OffsetAt, day: number, first: number): { tick: number; nearChange: boolean } | null {
  const start = day * DAY;
  const end = start + DAY;
  const before = offsetAt(start - DAY);
  const after = offsetAt(start + 2 * DAY);
  if (before === after) {
    const local = localTickIn(cron, start, Math.max(start, first + before), end);
    return local === null ? null : { tick: local - before, nearChange: false };
  }
  const change = changeBetween(offsetAt, start - DAY, start + 2 * DAY, before);
  const early = localTickIn(cron, start, Math.max(start, first + before), Math.min(end, change + before));
  if (early !== null) return { tick: early - before, nearChange: true };
  // Fixed times a spring-forward gap skips fire once, at the change.
  const gap = after > before && !cron.wallClock && change >= first;
  if (gap && localTickIn(cron, start, Math.max(start, change + before), Math.min(end, change + after)) !== null) return { tick: change, nearChange: true };
  // A fixed time in a repeated hour already fired on its first pass.
  const resume = cron.wallClock ? change + after : change + Math.max(before, after);
  const late = localTickIn(cron, start, Math.max(start, resume, first + after), end);
  return late === null ? null : { tick: late - after, nearChange: true };
}

/** The first whole minute whose offset is no longer `before`; `low` has it, `high` does not. */
function changeBetween(offsetAt: OffsetAt, low: number, high: number, before: number): number {
  while (high - low > MINUTE) {
    const mid = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
    if (offsetAt(mid) === before) low = mid;
    else high = mid;
  }
  return high;
}

/** The first tick's wall-clock reading in [from, to), all on the local day starting at `dayStart`. */
function localTickIn(cron: Cron, dayStart: number, from: number, to: number): number | null {
  if (from >= to) return null;
  const minuteOfDay = Math.ceil((from - dayStart) / MINUTE);
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  for (const h of cron.hours) {
    if (h < hour) continue;
    const m = h === hour ? cron.minutes.find((x) => x >= minute) : cron.minutes[0];
    if (m === undefined) continue;
    const local = dayStart + (h * 60 + m) * MINUTE;
    return local < to ? local : null;
  }
  return null;
}
