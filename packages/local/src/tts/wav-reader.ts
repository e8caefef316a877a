// Reads 16-bit PCM WAV as it arrives in chunks: the header first, then samples as soon as whole
// samples are there. flite and festival write canonical RIFF files, sometimes with a
// zero or 0xFFFFFFFF data size when they write to a pipe, so the data runs to the end.

export interface WavFormat {
  sampleRateHz: number;
  channels: number;
}

export class WavReader {
  #head: Uint8Array = new Uint8Array(0);
  #format: WavFormat | undefined;
  /** A byte left over from an odd-sized chunk. */
  #carry: number | undefined;

  /** The format, once the header has been read. */
  get format(): WavFormat | undefined {
    return this.#format;
  }

  /** Feeds bytes; returns the whole samples they complete (possibly none). */
  push(bytes: Uint8Array): Int16Array {
    if (this.#format === undefined) {
      const head = concatBytes(this.#head, bytes);
      const parsed = parseHeader(head);
      if (parsed === undefined) {
        this.#head = head;
        return new Int16Array(0);
      }
      this.#format = parsed.format;
      this.#head = new Uint8Array(0);
      return this.#samples(head.subarray(parsed.dataOffset));
    }
    return this.#samples(bytes);
  }

  #samples(bytes: Uint8Array): Int16Array {
    let data = bytes;
    if (this.#carry !== undefined) {
      data = concatBytes(Uint8Array.of(this.#carry), bytes);
      this.#carry = undefined;
    }
    const even = data.length & ~1;
    if (even < data.length) this.#carry = data[even];
    // A copy, aligned and owned by the frame (WAV is little-endian, like every platform Node runs on).
    return new Int16Array(data.slice(0, even).buffer);
  }
}

/** The format and where the samples start, or undefined while the header is incomplete. */
function parseHeader(b: Uint8Array): { format: WavFormat; dataOffset: number } | undefined {
  if (b.length < 12) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  if (ascii(b, 0) !== "RIFF" || ascii(b, 8) !== "WAVE") throw new Error("not a RIFF/WAVE stream");
  let offset = 12;
  let format: WavFormat | undefined;
  while (offset + 8 <= b.length) {
    const id = ascii(b, offset);
    const size = view.getUint32(offset + 4, true);
    if (id === "data") {
      if (format === undefined) throw new Error("WAV data chunk before its fmt chunk");
      return { format, dataOffset: offset + 8 };
    }
    if (offset + 8 + size > b.length) return undefined;
    if (id === "fmt ") {
      const audioFormat = view.getUint16(offset + 8, true);
      const bits = view.getUint16(offset + 22, true);
      if (audioFormat !== 1 || bits !== 16) {
        throw new Error(`WAV is not 16-bit PCM (format ${audioFormat}, ${bits} bits)`);
      }
      format = {
        channels: view.getUint16(offset + 10, true),
        sampleRateHz: view.getUint32(offset + 12, true),
      };
    }
    offset += 8 + size + (size & 1);
  }
  return undefined;
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
