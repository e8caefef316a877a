// Simple arithmetic said in words or digits: "what is 12 times 7", "what's three plus four",
// "subtract 3 from 10", "the square root of 16". Parsed with the usual precedence, answered aloud.
import { normalize, type Token, tokenize } from "./number-words.js";

type Op = "+" | "-" | "*" | "/" | "^" | "%of";

type Expr =
  | { type: "num"; value: number }
  | { type: "neg"; arg: Expr }
  | { type: "sqrt"; arg: Expr }
  | { type: "bin"; op: Op; left: Expr; right: Expr; said?: "squared" | "cubed" };

/** What the responder says about a sum it understood. */
export interface ArithmeticAnswer {
  /** The question as it will be read back, e.g. "12 times 7". */
  spoken: string;
  /** The value, or undefined when there is none (division by zero, root of a negative...). */
  value: number | undefined;
  /** The sentence to say. */
  reply: string;
}

/** Operator phrases, longest first, each turned into a symbol token. */
const PHRASES: readonly (readonly [readonly string[], string])[] = [
  [["raised", "to", "the", "power", "of"], "^"],
  [["to", "the", "power", "of"], "^"],
  [["to", "the", "power"], "^"],
  [["raised", "to"], "^"],
  [["the", "square", "root", "of"], "sqrt"],
  [["square", "root", "of"], "sqrt"],
  [["square", "root"], "sqrt"],
  [["multiplied", "by"], "*"],
  [["multiply", "by"], "*"],
  [["divided", "by"], "/"],
  [["divide", "by"], "/"],
  [["take", "away"], "-"],
  [["percent", "of"], "%of"],
  [["plus"], "+"],
  [["minus"], "-"],
  [["negative"], "-"],
  [["times"], "*"],
  [["x"], "*"],
  [["over"], "/"],
  [["squared"], "^2"],
  [["cubed"], "^3"],
];

/** Verb forms whose operands come in a fixed order: "subtract A from B" is B − A. */
const VERBS: readonly { words: readonly string[]; joins: readonly string[]; op: Op; swap: boolean }[] = [
  { words: ["add"], joins: ["and", "to", "plus"], op: "+", swap: false },
  { words: ["sum", "of"], joins: ["and", "plus"], op: "+", swap: false },
  { words: ["subtract"], joins: ["from"], op: "-", swap: true },
  { words: ["take"], joins: ["from"], op: "-", swap: true },
  { words: ["difference", "between"], joins: ["and"], op: "-", swap: false },
  { words: ["multiply"], joins: ["by", "and", "times"], op: "*", swap: false },
  { words: ["product", "of"], joins: ["and"], op: "*", swap: false },
  { words: ["divide"], joins: ["by"], op: "/", swap: false },
];

/**
 * Words a recognizer writes for a digit right after an operator: "two plus for", "nine plus
 * sex", "forty divided by a" (pocketsphinx hears a lone "eight" as "a", "it" or "age").
 */
const HOMOPHONES: Readonly<Record<string, number>> = {
  for: 4,
  to: 2,
  too: 2,
  won: 1,
  ate: 8,
  a: 8,
  age: 8,
  it: 8,
  sex: 6,
  sax: 6,
  tree: 3,
  free: 3,
  fine: 9,
};

/**
 * Finds a calculation in `text` and answers it; undefined when there is none (a lone number is
 * not a calculation).
 */
export function answerArithmetic(text: string): ArithmeticAnswer | undefined {
  const tokens = symbolize(tokenize(normalize(text)));
  const expr = findExpression(tokens);
  if (expr === undefined) return undefined;
  const spoken = speak(expr);
  const value = evaluate(expr);
  return { spoken, value: Number.isFinite(value) ? value : undefined, reply: sentence(expr, spoken, value) };
}

type Sym =
  | { kind: "num"; value: number }
  | { kind: "op"; op: Op | "sqrt" | "^2" | "^3" }
  | { kind: "word"; text: string };

function symbolize(tokens: readonly Token[]): Sym[] {
  const out: Sym[] = [];
  let i = 0;
  outer: while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (t.kind === "num") {
      out.push(t);
      i += 1;
      continue;
    }
    const prevIsNum = out.at(-1)?.kind === "num";
    // "time" between two numbers is a misheard "times".
    if (t.text === "time" && prevIsNum && tokens[i + 1]?.kind === "num") {
      out.push({ kind: "op", op: "*" });
      i += 1;
      continue;
    }
    for (const [phrase, op] of PHRASES) {
      if (phrase.every((w, k) => wordAt(tokens, i + k) === w)) {
        out.push({ kind: "op", op: op as Op | "sqrt" | "^2" | "^3" });
        i += phrase.length;
        const homophone = HOMOPHONES[wordAt(tokens, i) ?? ""];
        if (
          homophone !== undefined &&
          op !== "^2" &&
          op !== "^3" &&
          (i + 1 >= tokens.length || tokens[i + 1]?.kind === "word")
        ) {
          out.push({ kind: "num", value: homophone });
          i += 1;
        }
        continue outer;
      }
    }
    out.push(t);
    i += 1;
  }
  return rewriteVerbs(out);
}

function wordAt(tokens: readonly Token[], i: number): string | undefined {
  const t = tokens[i];
  return t?.kind === "word" ? t.text : undefined;
}

/** "subtract 3 from 10" → 10 − 3; "add 2 and 5" → 2 + 5. */
function rewriteVerbs(syms: Sym[]): Sym[] {
  for (let i = 0; i < syms.length; i += 1) {
    for (const verb of VERBS) {
      if (!verb.words.every((w, k) => symWord(syms[i + k]) === w)) continue;
      const a = operand(syms, i + verb.words.length);
      if (a === undefined) continue;
      const join = symWord(syms[a.next]);
      if (join === undefined || !verb.joins.includes(join)) continue;
      const b = operand(syms, a.next + 1);
      if (b === undefined) continue;
      const [left, right] = verb.swap ? [b.syms, a.syms] : [a.syms, b.syms];
      syms.splice(i, b.next - i, ...left, { kind: "op", op: verb.op }, ...right);
      break;
    }
  }
  return syms;
}

function symWord(s: Sym | undefined): string | undefined {
  return s?.kind === "word" ? s.text : undefined;
}

/** A number with an optional leading minus, as an operand of a verb form. */
function operand(syms: readonly Sym[], at: number): { syms: Sym[]; next: number } | undefined {
  const first = syms[at];
  if (first?.kind === "num") return { syms: [first], next: at + 1 };
  const second = syms[at + 1];
  if (first?.kind === "op" && first.op === "-" && second?.kind === "num") {
    return { syms: [first, second], next: at + 2 };
  }
  return undefined;
}

/** The leftmost expression with at least one operator. */
function findExpression(syms: readonly Sym[]): Expr | undefined {
  for (let start = 0; start < syms.length; start += 1) {
    const s = syms[start] as Sym;
    if (s.kind === "word") continue;
    const parser = new Parser(syms, start);
    const expr = parser.expression();
    if (expr !== undefined && parser.operators > 0) return expr;
  }
  return undefined;
}

/** Recursive descent: sums of products of powers of signed numbers. */
class Parser {
  operators = 0;
  #at: number;

  constructor(
    private readonly syms: readonly Sym[],
    start: number,
  ) {
    this.#at = start;
  }

  expression(): Expr | undefined {
    let left = this.term();
    if (left === undefined) return undefined;
    for (;;) {
      const op = this.#peekOp("+", "-");
      if (op === undefined) return left;
      const save = this.#at;
      this.#at += 1;
      const right = this.term();
      if (right === undefined) {
        this.#at = save;
        return left;
      }
      this.operators += 1;
      left = { type: "bin", op, left, right };
    }
  }

  term(): Expr | undefined {
    let left = this.power();
    if (left === undefined) return undefined;
    for (;;) {
      const op = this.#peekOp("*", "/", "%of");
      if (op === undefined) return left;
      const save = this.#at;
      this.#at += 1;
      const right = this.power();
      if (right === undefined) {
        this.#at = save;
        return left;
      }
      this.operators += 1;
      left = { type: "bin", op, left, right };
    }
  }

  power(): Expr | undefined {
    let base = this.unary();
    if (base === undefined) return undefined;
    for (;;) {
      const s = this.syms[this.#at];
      if (s?.kind === "op" && (s.op === "^2" || s.op === "^3")) {
        this.#at += 1;
        this.operators += 1;
        const n = s.op === "^2" ? 2 : 3;
        base = {
          type: "bin",
          op: "^",
          left: base,
          right: { type: "num", value: n },
          said: n === 2 ? "squared" : "cubed",
        };
        continue;
      }
      if (this.#peekOp("^") === undefined) return base;
      const save = this.#at;
      this.#at += 1;
      const exponent = this.unary();
      if (exponent === undefined) {
        this.#at = save;
        return base;
      }
      this.operators += 1;
      base = { type: "bin", op: "^", left: base, right: exponent };
    }
  }

  unary(): Expr | undefined {
    const s = this.syms[this.#at];
    if (s === undefined) return undefined;
    if (s.kind === "num") {
      this.#at += 1;
      return { type: "num", value: s.value };
    }
    if (s.kind === "op" && (s.op === "-" || s.op === "sqrt")) {
      const save = this.#at;
      this.#at += 1;
      const arg = this.unary();
      if (arg === undefined) {
        this.#at = save;
        return undefined;
      }
      if (s.op === "sqrt") {
        this.operators += 1;
        return { type: "sqrt", arg };
      }
      return arg.type === "num" ? { type: "num", value: -arg.value } : { type: "neg", arg };
    }
    return undefined;
  }

  #peekOp<T extends Op>(...ops: T[]): T | undefined {
    const s = this.syms[this.#at];
    return s?.kind === "op" && (ops as string[]).includes(s.op) ? (s.op as T) : undefined;
  }
}

function evaluate(e: Expr): number {
  switch (e.type) {
    case "num":
      return e.value;
    case "neg":
      return -evaluate(e.arg);
    case "sqrt":
      return Math.sqrt(evaluate(e.arg));
    case "bin": {
      const a = evaluate(e.left);
      const b = evaluate(e.right);
      if (e.op === "+") return a + b;
      if (e.op === "-") return a - b;
      if (e.op === "*") return a * b;
      if (e.op === "/") return b === 0 ? Number.NaN : a / b;
      if (e.op === "%of") return (a / 100) * b;
      return a ** b;
    }
  }
}

const OP_WORDS: Readonly<Record<Op, string>> = {
  "+": "plus",
  "-": "minus",
  "*": "times",
  "/": "divided by",
  "^": "to the power of",
  "%of": "percent of",
};

function speak(e: Expr): string {
  switch (e.type) {
    case "num":
      return sayNumber(e.value);
    case "neg":
      return `minus ${speak(e.arg)}`;
    case "sqrt":
      return `the square root of ${speak(e.arg)}`;
    case "bin":
      if (e.said !== undefined) return `${speak(e.left)} ${e.said}`;
      return `${speak(e.left)} ${OP_WORDS[e.op]} ${speak(e.right)}`;
  }
}

function hasDivisionByZero(e: Expr): boolean {
  if (e.type === "num") return false;
  if (e.type === "neg" || e.type === "sqrt") return hasDivisionByZero(e.arg);
  return (e.op === "/" && evaluate(e.right) === 0) || hasDivisionByZero(e.left) || hasDivisionByZero(e.right);
}

function sentence(e: Expr, spoken: string, value: number): string {
  if (hasDivisionByZero(e)) return `${capitalize(spoken)} has no answer: you can't divide by zero.`;
  if (Number.isNaN(value)) return `${capitalize(spoken)} isn't a real number.`;
  if (!Number.isFinite(value) || Math.abs(value) >= 1e15) {
    return `${capitalize(spoken)} is too big a number for me to say.`;
  }
  const rounded = Math.round(value * 10_000) / 10_000;
  const exact = Math.abs(rounded - value) <= 1e-9 * Math.max(1, Math.abs(value));
  return `${capitalize(spoken)} is ${exact ? "" : "about "}${sayNumber(rounded)}.`;
}

/** Digits a text-to-speech voice reads well: "84", "3.75", "minus 5" (never "-5" or "1e21"). */
export function sayNumber(value: number): string {
  const abs = Math.abs(value);
  const text = Number.isInteger(abs) ? abs.toFixed(0) : String(Math.round(abs * 10_000) / 10_000);
  return value < 0 && text !== "0" ? `minus ${text}` : text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
