import { describe, expect, it } from "vitest";
import { type Intent, interpret } from "./intents.js";

/** The intent as a short label: the kind, what a clock question wants, a sum's value. */
function label(intent: Intent): string {
  if (intent.kind === "clock") return `clock:${intent.want}${intent.place ? `@${intent.place.name}` : ""}`;
  if (intent.kind === "arithmetic") return `arithmetic:${intent.answer.value}`;
  return intent.kind;
}

describe("interpret: the phrasings the offline responder understands", () => {
  // As a recognizer writes them: lower case, no punctuation, numbers in words.
  it.each([
    // the date
    ["what is the date today", "clock:date"],
    ["what is the date", "clock:date"],
    ["whats the date", "clock:date"],
    ["what is todays date", "clock:date"],
    ["tell me the date please", "clock:date"],
    ["what day of the month is it", "clock:date"],
    ["what month is it", "clock:date"],
    ["what year is it", "clock:date"],
    // pocketsphinx's usual mishearing of "what is the date today"
    ["what is the day to day", "clock:date"],
    // the weekday
    ["what day is it", "clock:day"],
    ["what day is it today", "clock:day"],
    ["which day is it", "clock:day"],
    ["what day of the week is it today", "clock:day"],
    ["what is the day today", "clock:day"],
    ["whats the weekday", "clock:day"],
    // the time
    ["what time is it", "clock:time"],
    ["what is the time", "clock:time"],
    ["whats the time", "clock:time"],
    ["tell me the time please", "clock:time"],
    ["tell me that time please", "clock:time"],
    ["give me the time", "clock:time"],
    ["do you have the time", "clock:time"],
    ["time please", "clock:time"],
    ["what is the current time", "clock:time"],
    ["what time is it in tokyo", "clock:time@Tokyo"],
    ["can you tell me what time it is in paris", "clock:time@Paris"],
    // the four operators, in number words
    ["what is nine plus five", "arithmetic:14"],
    ["what is thirty minus eleven", "arithmetic:19"],
    ["how much is three times eight", "arithmetic:24"],
    ["what is six multiplied by eight", "arithmetic:48"],
    ["what is sixty four divided by eight", "arithmetic:8"],
    ["what is fifty six over eight", "arithmetic:7"],
    ["add eight and five", "arithmetic:13"],
    ["subtract eight from twenty", "arithmetic:12"],
    // a last "eight" as pocketsphinx writes it, "six" as "sex"
    ["what is forty divided by a", "arithmetic:5"],
    ["what is sixteen divided by it", "arithmetic:2"],
    ["what is two times age", "arithmetic:16"],
    ["what is nine plus sex", "arithmetic:15"],
    // the rest
    ["hello there", "greeting"],
    ["good evening how are you", "greeting"],
    ["what can you do", "capabilities"],
    ["who are you", "identity"],
    ["thank you so much", "thanks"],
    ["goodbye", "goodbye"],
    ["tell me a story about dragons", "unknown"],
  ])("%s → %s", (said, expected) => {
    expect(label(interpret(said))).toBe(expected);
  });
});
