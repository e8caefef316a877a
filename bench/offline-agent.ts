// What the offline agent understands when spoken to: held-out questions spoken by every flite
// voice on this machine go through local.STT (pocketsphinx, one stream per voice, as a session
// has it) and the offline responder's reader; prints the share of questions whose intent came out
// right, and the recognizer's word error rate against what was said. One line.
//   npm run bench -- offline-agent
// The STT is set up as the example agent sets it up with the offline responder: biased toward
// local.offlineResponderPhrases() (OFFLINE_AGENT_BIAS_WEIGHT=0: the general model alone, as before
// the bias existed). OFFLINE_AGENT_SET=tuning runs the tuning sentences instead (on kal16 and slt),
// the only ones the bias weight was chosen on.
// The sentences below are held out: none of them is in the recognizer's bias corpus
// (packages/local/src/stt/bias-corpus.ts) or in the responder's tests, and nothing was tuned on them.

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as local from "@callwright/local";
import { audioFrame, readWav, type SttPart } from "callwright";
import { type Intent, interpret } from "../packages/local/src/llm/intents.js";
import { wordErrors } from "../packages/local/test-fixtures/speech.js";

const run = promisify(execFile);

/** A held-out question and what the responder should take it to be. */
interface Question {
  text: string;
  /** The intent's kind, then for a clock question what it wants, for a sum its value. */
  expect: string;
}

const HELD_OUT: readonly Question[] = [
  { text: "What is the date today?", expect: "clock:date" },
  { text: "Tell me the time please.", expect: "clock:time" },
  { text: "What is forty eight divided by eight?", expect: "arithmetic:6" },
  { text: "What day of the week is it?", expect: "clock:day" },
  { text: "What is nine plus six?", expect: "arithmetic:15" },
  { text: "Could you tell me what time it is in London?", expect: "clock:time" },
  { text: "How much is seven times eight?", expect: "arithmetic:56" },
  { text: "What is twenty minus eleven?", expect: "arithmetic:9" },
  { text: "Good morning, how are you?", expect: "greeting" },
  { text: "What can you do?", expect: "capabilities" },
  { text: "Thanks a lot.", expect: "thanks" },
  { text: "Which day is it today?", expect: "clock:day" },
];

/** What the bias weight was chosen on: other sentences, two voices. */
const TUNING: readonly Question[] = [
  { text: "What's the date today?", expect: "clock:date" },
  { text: "Tell me what time it is.", expect: "clock:time" },
  { text: "What is seventeen times three?", expect: "arithmetic:51" },
  { text: "What is eighty one divided by nine?", expect: "arithmetic:9" },
  { text: "Which day of the week is it?", expect: "clock:day" },
  { text: "What is fifty minus twelve?", expect: "arithmetic:38" },
  { text: "Hello, how are you?", expect: "greeting" },
  { text: "What time is it in Paris?", expect: "clock:time" },
  { text: "How much is four plus eight?", expect: "arithmetic:12" },
  { text: "What is today's date?", expect: "clock:date" },
  { text: "Thank you very much.", expect: "thanks" },
  { text: "Could you tell me the time?", expect: "clock:time" },
];

function label(intent: Intent): string {
  if (intent.kind === "clock") return `clock:${intent.want}`;
  if (intent.kind === "arithmetic") return `arithmetic:${intent.answer.value}`;
  return intent.kind;
}

/** The voices flite has here, at 16 kHz (kal is 8 kHz: resampled with sox). */
async function voices(): Promise<string[]> {
  const { stdout } = await run("flite", ["-lv"]);
  const have = stdout.replace(/^.*:/, "").trim().split(/\s+/);
  return ["kal16", "slt", "awb", "rms", "kal"].filter((v) => have.includes(v));
}

async function speak(text: string, voice: string, dir: string): Promise<Int16Array> {
  const raw = join(dir, `${voice}.wav`);
  const out = join(dir, `${voice}.16k.wav`);
  await run("flite", ["-voice", voice, "-t", text, "-o", raw]);
  await run("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", out]);
  const { samples } = readWav(await readFile(out));
  return samples;
}

const FRAME = 512;
const silence = new Int16Array(16000 * 0.3);

const tuning = process.env.OFFLINE_AGENT_SET === "tuning";
const QUESTIONS = tuning ? TUNING : HELD_OUT;
const biasWeight = Number(
  process.env.OFFLINE_AGENT_BIAS_WEIGHT ?? local.defaultPocketsphinxSttOptions.biasWeight,
);

const dir = await mkdtemp(join(tmpdir(), "callwright-offline-agent-"));
try {
  const list = tuning ? ["kal16", "slt"] : await voices();
  const stt = new local.STT(
    biasWeight > 0 ? { biasPhrases: local.offlineResponderPhrases(), biasWeight } : { biasPhrases: [] },
  );
  await stt.warmup();
  let right = 0;
  let total = 0;
  let errors = 0;
  let words = 0;
  const misses: string[] = [];
  for (const voice of list) {
    const stream = stt.stream({ signal: new AbortController().signal });
    const parts: SttPart[] = [];
    const done = (async () => {
      for await (const part of stream) parts.push(part);
    })();
    for (const q of QUESTIONS) {
      const samples = await speak(q.text, voice, dir);
      for (const pad of [silence, samples, silence]) {
        for (let i = 0; i < pad.length; i += FRAME)
          stream.push(audioFrame(pad.subarray(i, i + FRAME), 16000));
      }
      stream.flush();
    }
    stream.end();
    await done;
    const finals = parts.flatMap((p) => (p.type === "final" ? [p.text] : []));
    QUESTIONS.forEach((q, i) => {
      const heard = finals[i] ?? "";
      const got = label(interpret(heard));
      total += 1;
      if (got === q.expect) right += 1;
      else misses.push(`${voice}: "${heard}" (${got})`);
      const e = wordErrors(q.text, heard);
      errors += e.errors;
      words += e.words;
    });
  }
  await stt.close();
  if (process.env.VERBOSE) console.error(misses.join("\n"));
  console.log(
    `offline-agent: intents right ${right}/${total} (${((100 * right) / total).toFixed(1)} %), ` +
      `WER ${((100 * errors) / words).toFixed(1)} % ` +
      `(${QUESTIONS.length} ${tuning ? "tuning" : "held-out"} questions × ${list.length} flite voices: ${list.join(", ")}; ` +
      `${biasWeight > 0 ? `biased toward the responder's phrases, weight ${biasWeight}` : "general model only"})`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
