// Server-sent events, as the WHATWG HTML standard defines the stream: lines end in LF, CRLF or
// CR; `data:` lines of one event are joined with LF; a blank line ends the event; lines that
// start with ":" are comments (keep-alives); one space after the colon is dropped.

/** One dispatched event. `event` is "message" unless the server named it. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Feed it text as it arrives (any split); it returns the events each piece completed. */
export class SseDecoder {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  /** A CR ended the last piece: a LF that starts the next one belongs to it. */
  #pendingCr = false;

  push(text: string): SseEvent[] {
    let input = text;
    if (this.#pendingCr && input.startsWith("\n")) input = input.slice(1);
    this.#pendingCr = false;
    this.#buffer += input;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i += 1) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer.slice(start, i), events);
      if (c === 13) {
        if (i + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer.charCodeAt(i + 1) === 10) i += 1;
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /**
   * The stream ended. The standard drops an event that no blank line closed; servers that end
   * with `data: [DONE]` and no blank line exist, so a complete last line is still dispatched.
   */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.#buffer !== "") this.#line(this.#buffer, events);
    this.#buffer = "";
    this.#line("", events);
    return events;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0)
        events.push({ event: this.#event || "message", data: this.#data.join("\n") });
      this.#data = [];
      this.#event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    // "id" and "retry" matter to EventSource reconnection only; a chat stream is never resumed.
  }
}

/**
 * The events of a server-sent event body, in order, including one left without a closing blank
 * line at the end. Cancelling the iteration (break, abort) cancels the body.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const sse = new SseDecoder();
  let done = false;
  try {
    for (;;) {
      const read = await reader.read();
      if (read.done) {
        done = true;
        yield* [...sse.push(decoder.decode()), ...sse.end()];
        return;
      }
      yield* sse.push(decoder.decode(read.value, { stream: true }));
    }
  } finally {
    if (!done) {
      reader.cancel().catch(() => {
        // A body that already failed rejects again when cancelled; nothing is left to release.
      });
    }
  }
}
