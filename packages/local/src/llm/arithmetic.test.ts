import { describe, expect, it } from "vitest";
import { answerArithmetic, sayNumber } from "./arithmetic.js";

const replyTo = (text: string) => answerArithmetic(text)?.reply;

describe("answerArithmetic", () => {
  it.each([
    ["what is 12 times 7", "12 times 7 is 84."],
    ["What's 12 × 7?", "12 times 7 is 84."],
    ["12*7", "12 times 7 is 84."],
    ["what is twelve times seven", "12 times 7 is 84."],
    ["whats three plus four", "3 plus 4 is 7."],
    ["15 divided by 4", "15 divided by 4 is 3.75."],
    ["10/3", "10 divided by 3 is about 3.3333."],
    ["what is twenty-five minus one hundred and five", "25 minus 105 is minus 80."],
    ["what is -5 - -3", "Minus 5 minus minus 3 is minus 2."],
    ["negative two point five times four", "Minus 2.5 times 4 is minus 10."],
    ["what is 2 + 3 * 4", "2 plus 3 times 4 is 14."],
    ["subtract three from ten", "10 minus 3 is 7."],
    ["add 2 and 5", "2 plus 5 is 7."],
    ["divide nine by three", "9 divided by 3 is 3."],
    ["what's the product of six and seven", "6 times 7 is 42."],
    ["what is the square root of sixteen", "The square root of 16 is 4."],
    ["five squared", "5 squared is 25."],
    ["two to the power of ten", "2 to the power of 10 is 1024."],
    ["twenty percent of fifty", "20 percent of 50 is 10."],
    ["what is 1,000 times 3", "1000 times 3 is 3000."],
    ["a hundred minus one", "100 minus 1 is 99."],
    ["0.1 + 0.2", "0.1 plus 0.2 is 0.3."],
    // What a recognizer writes for a misheard word.
    ["what is twelve time seven", "12 times 7 is 84."],
    ["what is two plus for", "2 plus 4 is 6."],
  ])("%s → %s", (question, answer) => {
    expect(replyTo(question)).toBe(answer);
  });

  it("explains what has no answer instead of inventing one", () => {
    expect(replyTo("what's 10 divided by 0")).toBe(
      "10 divided by 0 has no answer: you can't divide by zero.",
    );
    expect(replyTo("square root of minus four")).toBe("The square root of minus 4 isn't a real number.");
    expect(replyTo("10 to the power of 20")).toBe("10 to the power of 20 is too big a number for me to say.");
  });

  it("finds no calculation where there is none", () => {
    for (const text of ["what is seven", "what time is it", "hello", "it's over", "minus five", ""]) {
      expect(answerArithmetic(text)).toBeUndefined();
    }
  });
});

describe("sayNumber", () => {
  it("writes numbers a voice reads well", () => {
    expect(sayNumber(84)).toBe("84");
    expect(sayNumber(-5)).toBe("minus 5");
    expect(sayNumber(3.75)).toBe("3.75");
    expect(sayNumber(-0)).toBe("0");
    expect(sayNumber(123_456_789_012)).toBe("123456789012");
  });
});
