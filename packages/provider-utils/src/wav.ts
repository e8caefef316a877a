import { type AudioFrame, audioFrame } from "@callwright/spec";

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;

function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

/**
 * Reads a RIFF/WAVE file into 16-bit PCM (8/16/24/32-bit integer PCM and 32-bit float are
 * converted). Channels stay interleaved as in the file. Throws a RangeError that says what is
 * wrong with a file it cannot read.
 */
export function readWav(data: Uint8Array): AudioFrame {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 12 || fourCc(view, 0) !== "RIFF" || fourCc(view, 8) !== "WAVE") {
    throw new RangeError("not a WAV file: it must start with a RIFF header of form WAVE");
  }
  let format: { code: number; channels: number; rateHz: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= data.byteLength) {
    const id = fourCc(view, offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16) throw new RangeError(`WAV fmt chunk is ${size} bytes; at least 16 expected`);
      let code = view.getUint16(body, true);
      if (code === EXTENSIBLE && size >= 26) code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        rateHz: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (format === undefined) throw new RangeError("WAV data chunk comes before its fmt chunk");
      // Streamed WAVs (e.g. from a pipe) leave the size at 0 or 0xffffffff: read to the end.
      if (size === 0 || size === 0xffffffff || body + size > data.byteLength) size = data.byteLength - body;
      return audioFrame(decodeSamples(view, body, size, format), format.rateHz, format.channels);
    }
    offset = body + size + (size % 2);
  }
  throw new RangeError("WAV file has no data chunk");
}

function decodeSamples(
  view: DataView,
  offset: number,
  size: number,
  format: { code: number; channels: number; bits: number },
): Int16Array {
  const { code, bits, channels } = format;
  const bytes = bits / 8;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 4) {
    throw new RangeError(`WAV with ${bits} bits per sample is not supported (8, 16, 24 or 32 are)`);
  }
  let count = Math.floor(size / bytes);
  count -= count % channels;
  const out = new Int16Array(count);
  if (code === IEEE_FLOAT && bits === 32) {
    for (let i = 0; i < count; i++) {
      const v = Math.round(view.getFloat32(offset + i * 4, true) * 32768);
      out[i] = Math.min(32767, Math.max(-32768, v));
    }
    return out;
  }
  if (code !== PCM) throw new RangeError(`WAV format ${code} is not supported (PCM or 32-bit float are)`);
  for (let i = 0; i < count; i++) {
    const at = offset + i * bytes;
    switch (bytes) {
      case 1:
        out[i] = (view.getUint8(at) - 128) << 8;
        break;
      case 2:
        out[i] = view.getInt16(at, true);
        break;
      case 3:
        out[i] = view.getInt16(at + 1, true);
        break;
      default:
        out[i] = view.getInt32(at, true) >> 16;
    }
  }
  return out;
}

/** A 16-bit PCM WAV file holding `frame`. */
export function writeWav(frame: AudioFrame): Uint8Array {
  const dataBytes = frame.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, PCM, true);
  view.setUint16(22, frame.channels, true);
  view.setUint32(24, frame.sampleRateHz, true);
  view.setUint32(28, frame.sampleRateHz * frame.channels * 2, true);
  view.setUint16(32, frame.channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  const samples = frame.samples;
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i]!, true);
  return out;
}
