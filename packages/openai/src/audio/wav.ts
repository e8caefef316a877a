// WAV in and out for the audio API: a segment of 16-bit mono PCM wrapped in a 44-byte RIFF header
// (what /audio/transcriptions takes), and a reader for a streamed WAV answer (/audio/speech with
// `response_format: "wav"`), whose sizes may be unknown (0xFFFFFFFF) while it streams.

/** `samples` (mono 16-bit) as a WAV file. */
export function encodeWav(samples: Int16Array, sampleRateHz: number): Uint8Array<ArrayBuffer> {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  new Int16Array(out.buffer, 44, samples.length).set(samples);
  return out;
}

export interface WavFormat {
  sampleRateHz: number;
  channels: number;
}

/**
 * Reads the header of a streamed WAV as bytes arrive: `push` returns the format and the first
 * PCM bytes once the `data` chunk starts, `undefined` while the header is incomplete.
 */
export class WavHeaderReader {
  #buffer = new Uint8Array(0);

  push(bytes: Uint8Array): { format: WavFormat; pcm: Uint8Array } | undefined {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
    if (joined.length < 12) return undefined;
    const text = (at: number) => String.fromCharCode(...joined.subarray(at, at + 4));
    if (text(0) !== "RIFF" || text(8) !== "WAVE") throw new Error("the answer is not a WAV file");
    const view = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
    let at = 12;
    let format: WavFormat | undefined;
    while (at + 8 <= joined.length) {
      const id = text(at);
      const size = view.getUint32(at + 4, true);
      if (id === "data") {
        if (format === undefined) throw new Error("the WAV answer has no fmt chunk before its data");
        return { format, pcm: joined.slice(at + 8) };
      }
      if (at + 8 + size > joined.length) return undefined; // the chunk is not all here yet
      if (id === "fmt ") {
        const audioFormat = view.getUint16(at + 8, true);
        const bits = view.getUint16(at + 22, true);
        if ((audioFormat !== 1 && audioFormat !== 0xfffe) || bits !== 16) {
          throw new Error(`the WAV answer is not 16-bit PCM (format ${audioFormat}, ${bits} bits)`);
        }
        format = { channels: view.getUint16(at + 10, true), sampleRateHz: view.getUint32(at + 12, true) };
      }
      at += 8 + size + (size % 2);
    }
    return undefined;
  }
}
