// The clock tool: the current time and date, in the machine's time zone or a given IANA zone.
// The offline responder answers "what time is it" by calling it, like a real model would.
import { type Tool, tool } from "callwright";
import { z } from "zod";

/** What the clock tool returns (and what the model reads back). */
export interface CurrentTime {
  /** "3:04 PM" */
  time: string;
  /** "Tuesday, March 5, 2024" */
  date: string;
  /** "Tuesday" */
  weekday: string;
  /** The IANA zone used, e.g. "Europe/Paris". */
  timeZone: string;
  /** The instant, ISO 8601 in UTC. */
  iso: string;
}

export interface CurrentTimeToolOptions {
  /** IANA zone used when the model gives none; undefined = this machine's zone. */
  defaultTimeZone: string | undefined;
  /** Where the wall-clock time comes from (tests pin it). */
  now: () => Date;
}

export const defaultCurrentTimeToolOptions = {
  defaultTimeZone: undefined,
  now: () => new Date(),
} as const satisfies CurrentTimeToolOptions;

const parameters = z.object({
  timezone: z
    .string()
    .optional()
    .describe("IANA time zone such as 'Europe/Paris' or 'America/New_York'; omit for the local time zone."),
});

/** The tool's name, as models see it. */
export const CURRENT_TIME_TOOL_NAME = "get_current_time";

/** A clock tool with a pinned clock or default zone; most agents use `currentTimeTool`. */
export function createCurrentTimeTool(
  options: Partial<CurrentTimeToolOptions> = {},
): Tool<typeof parameters, CurrentTime> {
  const { defaultTimeZone, now } = { ...defaultCurrentTimeToolOptions, ...options };
  return tool({
    name: CURRENT_TIME_TOOL_NAME,
    description: "Returns the current time, date and weekday, in the local time zone or the one given.",
    parameters,
    execute: ({ timezone }) => readClock(now(), timezone ?? defaultTimeZone),
  });
}

/** The clock tool with the machine's clock and time zone. Pass it in the agent's `tools`. */
export const currentTimeTool = createCurrentTimeTool();

function readClock(instant: Date, timeZone: string | undefined): CurrentTime {
  let zone: string;
  try {
    zone = new Intl.DateTimeFormat("en-US", timeZone === undefined ? {} : { timeZone }).resolvedOptions()
      .timeZone;
  } catch (error) {
    throw new RangeError(
      `unknown time zone '${timeZone}': use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC'`,
      { cause: error },
    );
  }
  const format = (options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat("en-US", { timeZone: zone, ...options }).format(instant);
  return {
    time: format({ hour: "numeric", minute: "2-digit" }),
    date: format({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    weekday: format({ weekday: "long" }),
    timeZone: zone,
    iso: instant.toISOString(),
  };
}
