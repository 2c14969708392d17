/**
 * The ISO 8601 week of a moment, as a calendar in `timeZone` shows it: "2026-W49". Weeks start on
 * Monday and week 1 is the one with the year's first Thursday, so the last days of December can be
 * week 1 of the next year (and "2027-W01" is the label they get). The date is read in the schedule's
 * time zone: 00:30 on a Monday in Berlin is still Sunday, the week before, in UTC.
 */
export function isoWeek(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(new Date(at));
  const part = (type: "year" | "month" | "day") => Number(parts.find((p) => p.type === type)?.value);
  const date = new Date(Date.UTC(part("year"), part("month") - 1, part("day")));
  // The Thursday of the same Monday-to-Sunday week decides the week's year.
  const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const year = date.getUTCFullYear();
  const week = Math.floor((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}
