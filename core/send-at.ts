import { AppError, type ErrorCode } from './errors.js';

/** How far ahead a message may be scheduled: 30 days. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600 * 1000;

/** RFC 3339 date-time with a required offset (`Z` or `±hh:mm`), fractional seconds optional. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Reads a scheduled time: REST `sendAt` or the SMTP header field `X-Bridgemail-Send-At`. Returns
 * the due time (ms since the epoch) when it is in the future, undefined when it is now or past (send
 * now). Throws `code` naming `field` for a value that is not RFC 3339 with an offset, or more than
 * {@link MAX_SCHEDULE_AHEAD_MS} ahead.
 */
export function parseSendAt(value: string, field: string, code: ErrorCode, now = Date.now()): number | undefined {
  const match = RFC3339.exec(value.trim());
  const ms = match ? Date.parse(value.trim().toUpperCase().replace(' ', 'T')) : NaN;
  // Date.parse rolls 2026-02-30 over to March: the fields must survive the round trip.
  const exact = match !== null && !Number.isNaN(ms) && validDay(match);
  if (!exact) {
    throw new AppError(code, `${field}: an RFC 3339 date-time with an offset, e.g. 2030-01-31T09:00:00Z`, { field });
  }
  if (ms - now > MAX_SCHEDULE_AHEAD_MS) throw new AppError(code, `${field}: at most 30 days ahead`, { field });
  return ms > now ? ms : undefined;
}

function validDay(match: RegExpExecArray): boolean {
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
