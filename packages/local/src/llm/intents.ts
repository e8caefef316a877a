// What the offline responder understood the user to ask, from a few fixed phrasings. Matching is
// on normalised words (lowercase, no punctuation), as a speech recognizer writes them.
import { type ArithmeticAnswer, answerArithmetic } from "./arithmetic.js";
import { normalize } from "./number-words.js";

/** A place the clock question names, and its IANA zone. */
export interface Place {
  name: string;
  timeZone: string;
}

export type Intent =
  | { kind: "empty" }
  | { kind: "help" }
  | { kind: "capabilities" }
  | { kind: "identity" }
  | { kind: "arithmetic"; answer: ArithmeticAnswer }
  /** `place` is a zone we know; `unknownPlace` one we don't (answered with local time). */
  | { kind: "clock"; want: "time" | "date" | "day"; place?: Place; unknownPlace?: string }
  | { kind: "greeting"; howAreYou: boolean }
  /** A question about what the camera shows. */
  | { kind: "vision"; want: "people" | "colour" | "see" }
  | { kind: "thanks" }
  | { kind: "goodbye" }
  | { kind: "unknown" };

const PLACES: Readonly<Record<string, string>> = {
  utc: "UTC",
  gmt: "UTC",
  london: "Europe/London",
  paris: "Europe/Paris",
  berlin: "Europe/Berlin",
  madrid: "Europe/Madrid",
  rome: "Europe/Rome",
  amsterdam: "Europe/Amsterdam",
  moscow: "Europe/Moscow",
  dubai: "Asia/Dubai",
  india: "Asia/Kolkata",
  delhi: "Asia/Kolkata",
  mumbai: "Asia/Kolkata",
  singapore: "Asia/Singapore",
  "hong kong": "Asia/Hong_Kong",
  beijing: "Asia/Shanghai",
  shanghai: "Asia/Shanghai",
  tokyo: "Asia/Tokyo",
  seoul: "Asia/Seoul",
  sydney: "Australia/Sydney",
  "new york": "America/New_York",
  boston: "America/New_York",
  toronto: "America/Toronto",
  chicago: "America/Chicago",
  denver: "America/Denver",
  "los angeles": "America/Los_Angeles",
  "san francisco": "America/Los_Angeles",
  seattle: "America/Los_Angeles",
  "mexico city": "America/Mexico_City",
  "sao paulo": "America/Sao_Paulo",
};

const GREETING = /^(hello|hi|hey|hiya|howdy|greetings|yo|good (morning|afternoon|evening|day))\b/;
const HOW_ARE_YOU = /\bhow are you\b|\bhow( i|)s it going\b|\bhow do you do\b/;
const HELP =
  /\b(help|real (language )?model|(use|connect|plug( in|)|switch to|configure|set up) (a |an |the |)(real |different |other |better |)(llm|model|language model|ai|openai|ollama))\b|\bopenai\b|\bollama\b|\bllama\b/;
const CAPABILITIES = /\bwhat (can|do) you do\b|\bwhat are you able to\b|\bwhat can i ask\b/;
const IDENTITY =
  /\b(who|what) are you\b|\bwhats your name\b|\bwhat is your name\b|\bare you (a |an |)(real|human|person|robot|bot|ai|machine|language model|chatbot)\b|\bintroduce yourself\b|\btell me about yourself\b/;
const TIME =
  /\bwhat time\b|\bthe time\b|\btime is it\b|\bcurrent time\b|\btime now\b|\bwhats the time\b|\b(tell|give) me (the |that |what |)time\b|\btime (please|right now)\b|\b(have|got) the time\b|\bwhat hour\b|\bthe clock say\b/;
const DAY =
  /\bwhat day\b|\bwhich day\b|\bday of the week\b|\bday is it\b|\bday is today\b|\bweekday\b|\bwhat is the day\b|\bwhats the day\b|\bthe day today\b/;
const DATE =
  /\bdate\b|\bwhat year\b|\bwhat month\b|\btodays\b|\bwhat is today\b|\bwhats today\b|\bday of the month\b|\bday to day\b/;
const PEOPLE =
  /\bhow many (people|persons|faces|of us)\b|\b(is|are) (there )?(anyone|anybody|someone|somebody) (there|here|with me)\b|\bcan you see (me|us)\b|\bdo you see (me|us)\b/;
const COLOUR = /\b(what|which) colou?r\b|\bcolou?r (is|of) my\b/;
const SEE =
  /\bwhat (do|can) you see\b|\bwhat (am i|is) (holding|showing|in front of (you|the camera))\b|\bdescribe what you see\b|\bwhat does the camera show\b|\bwhat s on (my|the) screen\b/;
const THANKS = /\b(thank you|thanks|thank u|cheers)\b/;
const GOODBYE = /\b(bye|goodbye|good bye|see you|good night|farewell)\b/;

/** Reads the user's message. Order matters: a sum with "time" in it is arithmetic. */
export function interpret(text: string): Intent {
  const words = normalize(text);
  if (words.length === 0) return { kind: "empty" };
  const said = words.join(" ");
  if (HELP.test(said)) return { kind: "help" };
  if (CAPABILITIES.test(said)) return { kind: "capabilities" };
  if (IDENTITY.test(said)) return { kind: "identity" };
  const answer = answerArithmetic(text);
  if (answer !== undefined) return { kind: "arithmetic", answer };
  const clock = clockIntent(said);
  if (clock !== undefined) return clock;
  if (PEOPLE.test(said)) return { kind: "vision", want: "people" };
  if (COLOUR.test(said)) return { kind: "vision", want: "colour" };
  if (SEE.test(said)) return { kind: "vision", want: "see" };
  if (THANKS.test(said)) return { kind: "thanks" };
  if (GOODBYE.test(said)) return { kind: "goodbye" };
  if (GREETING.test(said) || HOW_ARE_YOU.test(said))
    return { kind: "greeting", howAreYou: HOW_ARE_YOU.test(said) };
  return { kind: "unknown" };
}

function clockIntent(said: string): Intent | undefined {
  // "date" and "day of the month" win over "day": "what day is the date" asks for a date.
  const want = TIME.test(said) ? "time" : DATE.test(said) ? "date" : DAY.test(said) ? "day" : undefined;
  if (want === undefined) return undefined;
  const where = /\bin ([a-z ]+?)(?: right now| now| today| please)?$/.exec(said)?.[1];
  if (where === undefined) return { kind: "clock", want };
  const known = Object.keys(PLACES).find((name) => where === name || where.endsWith(` ${name}`));
  if (known !== undefined) {
    return { kind: "clock", want, place: { name: titleCase(known), timeZone: PLACES[known] as string } };
  }
  return { kind: "clock", want, unknownPlace: where };
}

function titleCase(name: string): string {
  if (name === "utc" || name === "gmt") return name.toUpperCase();
  return name.replace(/\b[a-z]/g, (c) => c.toUpperCase());
}
