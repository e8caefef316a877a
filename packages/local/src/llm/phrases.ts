// What people say to the offline responder, as sentences: the questions its reader understands
// (intents.ts, arithmetic.ts), written out from templates. local.STT builds a small language
// model from them to lean the recognizer toward these questions (docs/local-stack.md).

const SMALL = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const OPERATORS = ["plus", "minus", "times", "divided by", "multiplied by"];
const PLACES = [
  "london",
  "paris",
  "berlin",
  "madrid",
  "rome",
  "tokyo",
  "new york",
  "chicago",
  "los angeles",
  "san francisco",
  "sydney",
  "singapore",
  "dubai",
  "india",
  "moscow",
  "toronto",
];

/** Numbers as said: 0–19, the tens, and the tens with a unit ("forty eight"). */
function numberWords(): string[] {
  const out = [...SMALL];
  for (const ten of TENS) {
    out.push(ten);
    for (const unit of SMALL.slice(1, 10)) out.push(`${ten} ${unit}`);
  }
  out.push("one hundred");
  return out;
}

function arithmetic(): string[] {
  const numbers = numberWords();
  const out: string[] = [];
  // Every number on each side of every operator, once (the other side cycles through 1–19):
  // enough for the model's word pairs without drowning the other questions in sums.
  OPERATORS.forEach((op, o) => {
    numbers.forEach((a, i) => {
      const b = SMALL[1 + ((i + o) % 19)] as string;
      out.push(`what is ${a} ${op} ${b}`, `what is ${b} ${op} ${a}`);
    });
  });
  for (const op of OPERATORS) {
    for (const b of SMALL.slice(1, 13)) {
      out.push(`how much is ${b} ${op} ${b}`);
      out.push(`what's ${b} ${op} ${b}`);
    }
  }
  for (const b of SMALL.slice(1, 13)) {
    out.push(`add ${b} and ${b}`, `subtract ${b} from twenty`, `multiply ${b} by ${b}`, `divide ${b} by two`);
    out.push(`what is the square root of ${b}`, `what is ${b} squared`);
  }
  return out;
}

function clock(): string[] {
  const time = [
    "what time is it",
    "what time is it now",
    "what's the time",
    "what is the time",
    "what is the time now",
    "tell me the time",
    "tell me the time please",
    "can you tell me the time",
    "could you tell me the time please",
    "what is the current time",
    "do you have the time",
    "time please",
  ];
  const date = [
    "what is the date",
    "what is the date today",
    "what's the date",
    "what's the date today",
    "what is today's date",
    "what's today's date",
    "tell me the date",
    "tell me the date please",
    "what is the date please",
    "what month is it",
    "what year is it",
    "what day of the month is it",
  ];
  const day = [
    "what day is it",
    "what day is it today",
    "what day is today",
    "which day is it",
    "which day is it today",
    "what day of the week is it",
    "what day of the week is it today",
    "what is the day today",
    "what's the day today",
    "is it monday today",
  ];
  const out = [...time, ...date, ...day];
  for (const place of PLACES) {
    out.push(`what time is it in ${place}`, `what's the time in ${place}`, `what is the date in ${place}`);
  }
  return out;
}

const CONVERSATION = [
  "hello",
  "hello there",
  "hi",
  "hi there",
  "hey",
  "good morning",
  "good afternoon",
  "good evening",
  "how are you",
  "hello how are you",
  "how is it going",
  "what can you do",
  "what can i ask",
  "what can i ask you",
  "who are you",
  "what are you",
  "what is your name",
  "what's your name",
  "are you a robot",
  "are you human",
  "tell me about yourself",
  "help",
  "how do i use a real model",
  "how do i plug in a real model",
  "thank you",
  "thanks",
  "thank you very much",
  "thanks a lot",
  "goodbye",
  "bye",
  "see you",
  "good night",
  "how many people do you see",
  "can you see me",
  "what do you see",
  "what colour is my shirt",
  "what color is my shirt",
  "what am i holding",
];

/**
 * Sentences the offline responder understands (about 1,300: sums with every small number, clock
 * questions, greetings), lower case, numbers in words, as a recognizer writes them. For
 * `new local.STT({ biasPhrases: local.offlineResponderPhrases() })`.
 */
export function offlineResponderPhrases(): string[] {
  return [...arithmetic(), ...clock(), ...CONVERSATION];
}
