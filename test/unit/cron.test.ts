import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkTimezone,
  CronNoTickError,
  CronSyntaxError,
  nextTick,
  parseCron,
  ticksBetween,
  TimezoneError,
  type Cron,
} from "../../src/dispatch/cron";

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The next `count` ticks after `after`, as ISO strings. */
function ticks(expression: string, after: string, timezone = "UTC", count = 1): string[] {
  const cron = parseCron(expression);
  const out: string[] = [];
  let at = Date.parse(after);
  for (let i = 0; i < count; i++) {
    at = nextTick(cron, at, timezone);
    out.push(iso(at));
  }
  return out;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw, got none");
}

function syntaxError(expression: string): CronSyntaxError {
  const error = thrown(() => parseCron(expression));
  expect(error).toBeInstanceOf(CronSyntaxError);
  expect(error.name).toBe("CronSyntaxError");
  expect(error.message).toContain(`cron "${expression}"`);
  return error as CronSyntaxError;
}

describe("parseCron: syntax", () => {
  it("expands *, numbers, lists, ranges and steps", () => {
    const cron = parseCron("*/15 1-5 1,15 * *");
    expect(cron.minutes).toEqual([0, 15, 30, 45]);
    expect(cron.hours).toEqual([1, 2, 3, 4, 5]);
    expect(cron.daysOfMonth).toEqual([1, 15]);
    expect(cron.months).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(cron.daysOfWeek).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("steps through a range from its start, and mixes forms in one list, sorted and unique", () => {
    expect(parseCron("1-30/5 * * * *").minutes).toEqual([1, 6, 11, 16, 21, 26]);
    expect(parseCron("50,10-59/20,5,10 * * * *").minutes).toEqual([5, 10, 30, 50]);
  });

  it("reads month and day names in any case, also in ranges and steps", () => {
    expect(parseCron("0 0 1 jan,Jul,DEC *").months).toEqual([1, 7, 12]);
    expect(parseCron("0 0 1 JAN-DEC/3 *").months).toEqual([1, 4, 7, 10]);
    expect(parseCron("0 9 * * mon-FRI").daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron("0 9 * * sun,Sat").daysOfWeek).toEqual([0, 6]);
  });

  it("takes 7 as Sunday, alone and in ranges", () => {
    expect(parseCron("0 0 * * 7").daysOfWeek).toEqual([0]);
    expect(parseCron("0 0 * * 5-7").daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCron("0 0 * * 0-7").daysOfWeek).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("accepts tabs and surrounding spaces between fields", () => {
    expect(parseCron("  0\t9 *  * 1 ").hours).toEqual([9]);
  });

  it("expands every macro to its five fields, in any case", () => {
    const same = (macro: string, fields: string) => {
      const { expression: _m, ...a } = parseCron(macro);
      const { expression: _f, ...b } = parseCron(fields);
      expect(a, macro).toEqual(b);
    };
    same("@yearly", "0 0 1 1 *");
    same("@annually", "0 0 1 1 *");
    same("@monthly", "0 0 1 * *");
    same("@weekly", "0 0 * * 0");
    same("@daily", "0 0 * * *");
    same("@midnight", "0 0 * * *");
    same("@hourly", "0 * * * *");
    same("@Daily", "0 0 * * *");
    expect(parseCron("@daily").expression).toBe("@daily");
  });
});

describe("parseCron: errors name the field and the part, and give a valid example", () => {
  it("rejects an empty expression", () => {
    expect(syntaxError("").message).toMatch(/empty.*e\.g\. "0 9 \* \* MON-FRI"/);
    syntaxError("   ");
  });

  it("rejects a 6-field expression, saying there is no seconds field", () => {
    expect(syntaxError("0 */5 * * * *").message).toMatch(/6 fields.*no seconds.*"\*\/5 \* \* \* \*"/);
  });

  it("rejects other field counts", () => {
    expect(syntaxError("0 9 * *").message).toMatch(/expected 5 fields.*got 4/);
    expect(syntaxError("0 0 9 * * * 2026").message).toMatch(/got 7/);
  });

  it("rejects unknown macros, listing the known ones", () => {
    expect(syntaxError("@every5m").message).toMatch(/"@every5m" is not a cron macro; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly/);
    syntaxError("@reboot");
  });

  it("rejects out-of-range values in each field", () => {
    expect(syntaxError("60 * * * *").message).toMatch(/minute "60" is out of range: minute runs from 0 to 59; a valid example: "\*\/15 \* \* \* \*"\.$/);
    expect(syntaxError("0 24 * * *").message).toMatch(/hour "24" is out of range.*"0 9-17 \* \* \*"/);
    expect(syntaxError("0 0 0 * *").message).toMatch(/day-of-month "0" is out of range: day-of-month runs from 1 to 31/);
    expect(syntaxError("0 0 32 * *").message).toMatch(/day-of-month "32"/);
    expect(syntaxError("0 0 1 13 *").message).toMatch(/month "13" is out of range.*"0 0 1 JAN,JUL \*"/);
    expect(syntaxError("0 0 * * 8").message).toMatch(/day-of-week "8" is out of range: day-of-week runs from 0 to 7; a valid example: "0 9 \* \* MON-FRI"/);
    expect(syntaxError("0 0 1-40 * *").message).toMatch(/day-of-month "1-40" is out of range/);
  });

  it("rejects empty list items", () => {
    expect(syntaxError("1,,2 * * * *").message).toMatch(/minute "1,,2" has an empty list item/);
    expect(syntaxError("0 0 * * 1,").message).toMatch(/day-of-week "1," has an empty list item/);
  });

  it("rejects names that are not month or day names, and names in numeric fields", () => {
    expect(syntaxError("0 0 1 FOO *").message).toMatch(/month "FOO" has "FOO", which is not a number from 1 to 12 or a name JAN-DEC/);
    expect(syntaxError("0 0 * * MONDAY").message).toMatch(/or a name SUN-SAT/);
    expect(syntaxError("0 0 JAN * *").message).toMatch(/day-of-month "JAN" has "JAN", which is not a number from 1 to 31;/);
    syntaxError("1.5 * * * *");
    syntaxError("-5 * * * *");
  });

  it("rejects bad steps: zero, not a number, too large, or on a single value", () => {
    expect(syntaxError("*/0 * * * *").message).toMatch(/minute "\*\/0" has step "0"; a step is a whole number from 1 to 59/);
    syntaxError("*/x * * * *");
    expect(syntaxError("*/60 * * * *").message).toMatch(/from 1 to 59/);
    expect(syntaxError("0 */24 * * *").message).toMatch(/hour "\*\/24".*from 1 to 23/);
    expect(syntaxError("5/15 * * * *").message).toMatch(/minute "5\/15" puts a step on a single value; a step needs a range or "\*", e.g. "5-59\/15"/);
    syntaxError("*/5/2 * * * *");
  });

  it("rejects a backwards range, suggesting the two ranges it likely meant", () => {
    expect(syntaxError("0 22-2 * * *").message).toMatch(/hour "22-2" is a range that runs backwards; .*"22-23,0-2"/);
    syntaxError("0 0 * * FRI-MON");
    syntaxError("1-2-3 * * * *");
  });

  it("rejects expressions that can never fire", () => {
    expect(syntaxError("0 0 30 2 *").message).toMatch(/never fires: day-of-month "30" does not occur in month "2"; pick days every chosen month has/);
    syntaxError("0 0 31 4,6,9,11 *");
    syntaxError("0 0 31 APR */2");
  });

  it("accepts the rare ones that do fire", () => {
    expect(parseCron("0 0 29 2 *").daysOfMonth).toEqual([29]);
    expect(parseCron("0 0 31 1-2 *").months).toEqual([1, 2]);
    // Both day fields restricted: Mondays in February count, so it fires.
    expect(parseCron("0 0 30 2 MON").dayMatch).toBe("either");
  });
});

describe("day-of-month and day-of-week (Vixie's rule)", () => {
  it("fires on either when both are restricted", () => {
    // 2026-06-02 is a Tuesday: Mondays in June, and 1 July (a Wednesday).
    expect(ticks("0 0 1 * MON", "2026-06-02T00:00:00Z", "UTC", 6)).toEqual([
      "2026-06-08T00:00:00.000Z",
      "2026-06-15T00:00:00.000Z",
      "2026-06-22T00:00:00.000Z",
      "2026-06-29T00:00:00.000Z",
      "2026-07-01T00:00:00.000Z",
      "2026-07-06T00:00:00.000Z",
    ]);
    expect(parseCron("0 0 1 * MON").dayMatch).toBe("either");
  });

  it("uses only the restricted one when the other is *", () => {
    expect(ticks("0 0 * * MON", "2026-06-02T00:00:00Z")).toEqual(["2026-06-08T00:00:00.000Z"]);
    expect(ticks("0 0 13 * *", "2026-06-02T00:00:00Z")).toEqual(["2026-06-13T00:00:00.000Z"]);
  });

  it("counts a field starting with * as unrestricted, as Vixie's entry.c does: */2 with MON means odd days that are Mondays", () => {
    expect(parseCron("0 0 */2 * MON").dayMatch).toBe("both");
    // 8 June is an even Monday; 15 June the first odd one.
    expect(ticks("0 0 */2 * MON", "2026-06-02T00:00:00Z")).toEqual(["2026-06-15T00:00:00.000Z"]);
    // Without the star the same days are a union: 3 June is odd.
    expect(ticks("0 0 1-31/2 * MON", "2026-06-02T00:00:00Z")).toEqual(["2026-06-03T00:00:00.000Z"]);
  });
});

describe("nextTick in UTC", () => {
  it("is strictly after `after`, on whole minutes", () => {
    expect(ticks("* * * * *", "2026-01-01T00:00:00Z")).toEqual(["2026-01-01T00:01:00.000Z"]);
    expect(ticks("* * * * *", "2026-01-01T00:00:59.999Z")).toEqual(["2026-01-01T00:01:00.000Z"]);
    expect(ticks("0 0 * * *", "2025-12-31T23:59:30Z")).toEqual(["2026-01-01T00:00:00.000Z"]);
  });

  it("walks minutes, hours, days, months and years", () => {
    expect(ticks("*/15 * * * *", "2026-01-01T00:50:00Z", "UTC", 3)).toEqual(["2026-01-01T01:00:00.000Z", "2026-01-01T01:15:00.000Z", "2026-01-01T01:30:00.000Z"]);
    expect(ticks("0 9-17/4 * * *", "2026-01-01T12:00:00Z", "UTC", 3)).toEqual(["2026-01-01T13:00:00.000Z", "2026-01-01T17:00:00.000Z", "2026-01-02T09:00:00.000Z"]);
    expect(ticks("0 0 31 * *", "2026-01-31T00:00:00Z", "UTC", 2)).toEqual(["2026-03-31T00:00:00.000Z", "2026-05-31T00:00:00.000Z"]);
    expect(ticks("@yearly", "2026-06-01T00:00:00Z", "UTC", 2)).toEqual(["2027-01-01T00:00:00.000Z", "2028-01-01T00:00:00.000Z"]);
    expect(ticks("30 8 * * MON-FRI", "2026-06-05T09:00:00Z", "UTC", 2)).toEqual(["2026-06-08T08:30:00.000Z", "2026-06-09T08:30:00.000Z"]);
    expect(ticks("@weekly", "2026-06-02T00:00:00Z")).toEqual(["2026-06-07T00:00:00.000Z"]);
    expect(ticks("@monthly", "2026-12-15T00:00:00Z")).toEqual(["2027-01-01T00:00:00.000Z"]);
  });

  it("finds 29 February: from 2026 it is 2028", () => {
    expect(ticks("0 0 29 2 *", "2026-01-01T00:00:00Z", "UTC", 2)).toEqual(["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]);
  });

  it("finds the rarest accepted schedule, 29 February on a Sunday, 40 years on across 2100", () => {
    expect(ticks("0 0 29 2 */7", "2088-03-01T00:00:00Z")).toEqual(["2128-02-29T00:00:00.000Z"]);
  });

  it("fails with a named error past the last date a Date can hold", () => {
    const error = thrown(() => nextTick(parseCron("0 0 1 12 *"), Date.UTC(275760, 0, 1)));
    expect(error).toBeInstanceOf(CronNoTickError);
    expect(error.message).toMatch(/cron "0 0 1 12 \*" has no tick in the 41 years after \+275760-01-01T00:00:00\.000Z; pass `after` as epoch milliseconds/);
    expect(thrown(() => nextTick(parseCron("* * * * *"), Number.NaN))).toBeInstanceOf(CronNoTickError);
  });
});

describe("time zones", () => {
  it("checkTimezone fixes the letter case and rejects unknown zones with a named error", () => {
    expect(checkTimezone("europe/berlin")).toBe("Europe/Berlin");
    expect(checkTimezone("utc")).toBe("UTC");
    // ICU would say Asia/Calcutta and Europe/Kiev: the current IANA names are kept as written.
    expect(checkTimezone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(checkTimezone("Europe/Kyiv")).toBe("Europe/Kyiv");
    for (const bad of ["Mars/Olympus", "", "Europe/Berlinn"]) {
      const error = thrown(() => checkTimezone(bad));
      expect(error).toBeInstanceOf(TimezoneError);
      expect(error.name).toBe("TimezoneError");
      expect(error.message).toMatch(/is not a time zone; use an IANA name such as "Europe\/Berlin"/);
    }
  });

  it("nextTick rejects an unknown zone the same way", () => {
    expect(thrown(() => nextTick(parseCron("* * * * *"), 0, "Mars/Olympus"))).toBeInstanceOf(TimezoneError);
  });

  it("reads the fields on the zone's wall clock", () => {
    expect(ticks("0 9 * * *", "2026-06-01T00:00:00Z", "America/New_York")).toEqual(["2026-06-01T13:00:00.000Z"]);
    expect(ticks("0 9 * * *", "2026-01-15T00:00:00Z", "America/New_York")).toEqual(["2026-01-15T14:00:00.000Z"]);
    expect(ticks("0 0 * * MON", "2026-06-07T00:00:00Z", "Europe/Berlin")).toEqual(["2026-06-07T22:00:00.000Z"]);
  });

  it("handles a half-hour offset (Asia/Kolkata, +05:30)", () => {
    expect(ticks("0 9 * * *", "2026-06-01T00:00:00Z", "Asia/Kolkata")).toEqual(["2026-06-01T03:30:00.000Z"]);
    expect(ticks("30 * * * *", "2026-06-01T00:10:00Z", "Asia/Kolkata", 2)).toEqual(["2026-06-01T01:00:00.000Z", "2026-06-01T02:00:00.000Z"]);
    // Local midnight on 1 July is 18:30 UTC the day before.
    expect(ticks("0 0 1 7 *", "2026-06-01T00:00:00Z", "Asia/Kolkata")).toEqual(["2026-06-30T18:30:00.000Z"]);
  });

  it("finds 29 February on the zone's calendar", () => {
    expect(ticks("0 0 29 2 *", "2026-01-01T00:00:00Z", "Asia/Kolkata")).toEqual(["2028-02-28T18:30:00.000Z"]);
  });
});

describe("daylight saving, fixed times (minute and hour fields without *)", () => {
  it("Europe/Berlin spring forward (2026-03-29, 02:00 -> 03:00): 02:30 fires once at 03:00 local", () => {
    expect(ticks("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", 2)).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    // 03:00 itself and every skipped time collapse into the same single tick.
    expect(ticks("0,30 2-3 * * *", "2026-03-29T00:30:00Z", "Europe/Berlin", 3)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:00:00.000Z",
    ]);
  });

  it("Europe/Berlin fall back (2026-10-25, 03:00 -> 02:00): 02:30 fires once, on the first pass", () => {
    expect(ticks("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin", 2)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
    // Asked from inside the second pass, it waits for the next day.
    expect(ticks("30 2 * * *", "2026-10-25T01:15:00Z", "Europe/Berlin")).toEqual(["2026-10-26T01:30:00.000Z"]);
  });

  it("America/New_York spring forward (2026-03-08, 02:00 -> 03:00)", () => {
    expect(ticks("30 2 * * *", "2026-03-07T12:00:00Z", "America/New_York", 2)).toEqual(["2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"]);
    expect(ticks("0 3 * * *", "2026-03-07T12:00:00Z", "America/New_York")).toEqual(["2026-03-08T07:00:00.000Z"]);
    expect(ticks("30 1 * * *", "2026-03-07T12:00:00Z", "America/New_York", 2)).toEqual(["2026-03-08T06:30:00.000Z", "2026-03-09T05:30:00.000Z"]);
  });

  it("America/New_York fall back (2026-11-01, 02:00 -> 01:00)", () => {
    expect(ticks("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York", 2)).toEqual(["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
    expect(ticks("0 2 * * *", "2026-10-31T12:00:00Z", "America/New_York")).toEqual(["2026-11-01T07:00:00.000Z"]);
  });

  it("a daily midnight job keeps local midnight across both changes", () => {
    expect(ticks("@daily", "2026-03-28T00:00:00Z", "Europe/Berlin", 2)).toEqual(["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"]);
    expect(ticks("@daily", "2026-10-24T00:00:00Z", "Europe/Berlin", 2)).toEqual(["2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z"]);
  });
});

describe("daylight saving, wall-clock schedules (minute or hour field starting with *, as cronie)", () => {
  it("every 30 minutes runs through both passes of New York's repeated hour", () => {
    expect(ticks("*/30 * * * *", "2026-11-01T05:00:00Z", "America/New_York", 4)).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-01T06:00:00.000Z", // 01:00 EST
      "2026-11-01T06:30:00.000Z", // 01:30 EST
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
  });

  it("every 30 minutes has no ticks in Berlin's skipped hour, and no gap in elapsed time", () => {
    expect(ticks("*/30 * * * *", "2026-03-29T00:00:00Z", "Europe/Berlin", 3)).toEqual([
      "2026-03-29T00:30:00.000Z", // 01:30 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST
      "2026-03-29T01:30:00.000Z",
    ]);
  });

  it("hourly stays an hour apart through both changes", () => {
    expect(ticks("@hourly", "2026-03-08T05:30:00Z", "America/New_York", 3)).toEqual(["2026-03-08T06:00:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z"]);
    expect(ticks("30 * * * *", "2026-10-25T00:00:00Z", "Europe/Berlin", 3)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z", "2026-10-25T02:30:00.000Z"]);
    expect(parseCron("30 * * * *").wallClock).toBe(true);
    expect(parseCron("30 2 * * *").wallClock).toBe(false);
  });
});

/**
 * A reference that knows nothing of the search: it reads every minute's wall
 * clock and applies the rules directly. Windows straddle real 2026 changes,
 * including a 30-minute one (Lord Howe) and ones at local midnight (Santiago).
 */
describe("nextTick agrees with a minute-by-minute reference around DST changes", () => {
  const read = (timezone: string) => {
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    return (instant: number) => {
      const p = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, Number(part.value)]));
      return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
    };
  };
  const matches = (cron: Cron, local: number) => {
    const d = new Date(local);
    const byDate = cron.daysOfMonth.includes(d.getUTCDate());
    const byWeekday = cron.daysOfWeek.includes(d.getUTCDay());
    return (
      cron.minutes.includes(d.getUTCMinutes()) &&
      cron.hours.includes(d.getUTCHours()) &&
      cron.months.includes(d.getUTCMonth() + 1) &&
      (cron.dayMatch === "either" ? byDate || byWeekday : byDate && byWeekday)
    );
  };
  const reference = (cron: Cron, from: number, to: number, timezone: string) => {
    const localOf = read(timezone);
    const seen = new Set<number>();
    const out: number[] = [];
    let previous = localOf(from);
    for (let t = from + MINUTE; t <= to; t += MINUTE) {
      const local = localOf(t);
      let tick = matches(cron, local) && (cron.wallClock || !seen.has(local));
      // A fixed time the clock jumped over fires at the first minute after the jump.
      for (let skipped = previous + MINUTE; !tick && !cron.wallClock && skipped < local; skipped += MINUTE) tick = matches(cron, skipped);
      if (tick) out.push(t);
      seen.add(local);
      previous = local;
    }
    return out;
  };
  const changes: [string, string][] = [
    ["America/New_York", "2026-03-08"],
    ["America/New_York", "2026-11-01"],
    ["Europe/Berlin", "2026-03-29"],
    ["Europe/Berlin", "2026-10-25"],
    ["Australia/Lord_Howe", "2026-04-05"],
    ["Australia/Lord_Howe", "2026-10-04"],
    ["America/Santiago", "2026-04-05"],
    ["America/Santiago", "2026-09-06"],
  ];
  const expressions = ["30 2 * * *", "15,45 0-3 * * *", "0 0 * * *", "45 23 * * *", "*/15 * * * *", "30 * * * *", "*/10 2 * * *"];
  for (const [timezone, date] of changes) {
    it(`${timezone} on ${date}`, () => {
      const from = Date.parse(`${date}T00:00:00Z`) - 18 * 3_600_000;
      const to = from + 60 * 3_600_000;
      for (const expression of expressions) {
        const cron = parseCron(expression);
        const found: number[] = [];
        for (let t = nextTick(cron, from, timezone); t <= to; t = nextTick(cron, t, timezone)) found.push(t);
        expect(found.map(iso), expression).toEqual(reference(cron, from, to, timezone).map(iso));
      }
    });
  }
});

describe("the search skips by fields", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads the zone a handful of times for a yearly schedule, not once per minute or day", () => {
    const reads = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    const cron = parseCron("0 0 29 2 *");
    expect(iso(nextTick(cron, Date.parse("2026-03-01T00:00:00Z"), "Europe/Berlin"))).toBe("2028-02-28T23:00:00.000Z");
    expect(reads.mock.calls.length).toBeLessThan(10);
  });

  it("does not read the clock at all in UTC", () => {
    const reads = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    nextTick(parseCron("*/5 * * * *"), Date.parse("2026-03-01T00:00:00Z"));
    expect(reads).not.toHaveBeenCalled();
  });
});

describe("ticksBetween collapses missed ticks", () => {
  const between = (expression: string, from: string, to: string, timezone = "UTC") => {
    const result = ticksBetween(parseCron(expression), Date.parse(from), Date.parse(to), timezone);
    return { ...result, last: result.last === null ? null : iso(result.last) };
  };

  it("counts the ticks in (from, to] and returns the latest", () => {
    expect(between("0 * * * *", "2026-01-01T00:30:00Z", "2026-01-01T05:10:00Z")).toEqual({ count: 5, capped: false, last: "2026-01-01T05:00:00.000Z" });
  });

  it("excludes `from` and includes `to`", () => {
    expect(between("0 * * * *", "2026-01-01T01:00:00Z", "2026-01-01T03:00:00Z")).toEqual({ count: 2, capped: false, last: "2026-01-01T03:00:00.000Z" });
  });

  it("is empty when nothing was missed", () => {
    expect(between("@yearly", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z")).toEqual({ count: 0, capped: false, last: null });
    expect(between("* * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")).toEqual({ count: 0, capped: false, last: null });
  });

  it("caps the count at 100 but still finds the latest tick after a long outage", () => {
    expect(between("* * * * *", "2026-01-01T00:00:00Z", "2026-01-08T00:00:30Z")).toEqual({ count: 100, capped: true, last: "2026-01-08T00:00:00.000Z" });
    expect(between("0 9 * * MON-FRI", "2025-01-01T00:00:00Z", "2026-06-10T08:00:00Z")).toEqual({ count: 100, capped: true, last: "2026-06-09T09:00:00.000Z" });
    // Exactly 100 is not capped.
    expect(between("* * * * *", "2026-01-01T00:00:00Z", "2026-01-01T01:40:00Z")).toEqual({ count: 100, capped: false, last: "2026-01-01T01:40:00.000Z" });
  });

  it("agrees with nextTick across a DST change, the skipped time counted once", () => {
    expect(between("30 2 * * *", "2026-03-27T00:00:00Z", "2026-03-30T12:00:00Z", "Europe/Berlin")).toEqual({ count: 4, capped: false, last: "2026-03-30T00:30:00.000Z" });
    expect(between("*/5 * * * *", "2026-03-01T00:00:00Z", "2026-03-29T01:02:00Z", "Europe/Berlin")).toEqual({ count: 100, capped: true, last: "2026-03-29T01:00:00.000Z" });
  });
});
