// The two Debian synthesisers: how each is called, its voices and the rate it writes.
import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallwrightError, ConfigError } from "callwright";
import { childOutput } from "./child-output.js";

export type TtsEngine = "flite" | "festival";

export const fliteInstallHint = "apt-get install -y flite";
export const festivalInstallHint = "apt-get install -y festival festvox-us-slt-hts";

/** Rates of the voices in Debian's flite 2.2 (`flite -lv`); other voices are 16 kHz clustergen. */
const fliteVoiceRates: Record<string, number> = {
  kal: 8000,
  kal16: 16000,
  slt: 16000,
  awb: 16000,
  rms: 16000,
  awb_time: 16000,
};

/** Short names for festival voices. */
const festivalVoiceAliases: Record<string, string> = { slt: "cmu_us_slt_arctic_hts" };

export interface EngineSettings {
  engine: TtsEngine;
  voice: string;
  binaryPath: string;
  sampleRateHz: number;
}

export const engineDefaults: Record<TtsEngine, { voice: string; binaryPath: string }> = {
  flite: { voice: "kal16", binaryPath: "flite" },
  festival: { voice: "cmu_us_slt_arctic_hts", binaryPath: "text2wave" },
};

/** The rate a voice writes, or festival's requested rate (it resamples to whatever it is asked). */
export function defaultSampleRateHz(engine: TtsEngine, voice: string): number {
  if (engine === "festival") return 32000;
  return fliteVoiceRates[voice] ?? 16000;
}

export function festivalVoice(voice: string): string {
  const name = festivalVoiceAliases[voice] ?? voice;
  // The name goes into a Scheme expression: letters, digits and underscores only.
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new ConfigError(`festival voice '${voice}' is not a voice name (letters, digits, underscores)`);
  }
  return name;
}

/** A flite voice is a built-in name or a path to a `.flitevox` file; flite quietly falls back otherwise. */
export async function checkFliteVoice(binaryPath: string, voice: string): Promise<void> {
  if (voice.includes("/")) {
    try {
      await access(voice);
    } catch (cause) {
      throw new ConfigError(`flite voice file ${voice} does not exist`, { cause });
    }
    return;
  }
  const listed = await new Promise<string>((resolve, reject) => {
    execFile(binaryPath, ["-lv"], (error, stdout) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") {
        reject(
          new CallwrightError(
            `local TTS: ${binaryPath} is not installed. Install it with: ${fliteInstallHint}`,
            {
              code: "tts_engine_missing",
              fault: "user",
              cause: error,
            },
          ),
        );
      } else if (error) reject(error);
      else resolve(stdout);
    });
  });
  const voices = listed.replace(/^.*:/s, "").trim().split(/\s+/);
  if (!voices.includes(voice)) {
    throw new ConfigError(
      `flite has no voice '${voice}'; it has: ${voices.join(", ")} (or give a .flitevox path)`,
    );
  }
}

/**
 * WAV bytes of `text`. flite writes to files only (its stdout under Node is a socket it cannot
 * open, and it reads no text from a socket stdin), so it gets a text file and writes a WAV file
 * in a private temporary folder; festival takes stdin and writes stdout, streamed as it comes.
 */
export function synthesizeWav(
  settings: EngineSettings,
  text: string,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  return settings.engine === "flite" ? fliteWav(settings, text, signal) : festivalWav(settings, text, signal);
}

async function* fliteWav(
  settings: EngineSettings,
  text: string,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "callwright-flite-"));
  try {
    const textFile = join(dir, "text.txt");
    const wavFile = join(dir, "speech.wav");
    await writeFile(textFile, text, { mode: 0o600 });
    const args = ["-voice", settings.voice, "-f", textFile, "-o", wavFile];
    for await (const _ of childOutput(settings.binaryPath, args, { signal, installHint: fliteInstallHint })) {
      // flite prints nothing useful on stdout.
    }
    let wav: Uint8Array;
    try {
      wav = await readFile(wavFile);
    } catch (cause) {
      throw new CallwrightError(`local TTS: flite wrote no audio for voice ${settings.voice}`, {
        code: "provider_error",
        fault: "provider",
        cause,
      });
    }
    yield wav;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function festivalWav(
  settings: EngineSettings,
  text: string,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const voice = festivalVoice(settings.voice);
  const args = ["-eval", `(voice_${voice})`, "-F", String(settings.sampleRateHz), "-o", "-"];
  return childOutput(settings.binaryPath, args, {
    input: text,
    signal,
    installHint: festivalInstallHint,
    // festival exits 0 even when the voice is missing; it says so on stderr.
    failurePattern: /SIOD ERROR|unbound variable/,
  });
}
