import { describe, expect, it } from "vitest";
import { SseDecoder } from "./sse.js";

/** Feeds `text` in pieces of `size` characters, as a network might cut it. */
function decode(text: string, size: number) {
  const decoder = new SseDecoder();
  const events = [];
  for (let at = 0; at < text.length; at += size) events.push(...decoder.push(text.slice(at, at + size)));
  events.push(...decoder.end());
  return events;
}

describe("SseDecoder", () => {
  const stream =
    ': ping\n\ndata: {"a":1}\r\n\r\nevent: error\ndata: line one\ndata:line two\n\rdata: [DONE]\n\n';
  const expected = [
    { event: "message", data: '{"a":1}' },
    { event: "error", data: "line one\nline two" },
    { event: "message", data: "[DONE]" },
  ];

  it("reads LF, CRLF and CR line ends, comments, named and multi-line events", () => {
    expect(decode(stream, stream.length)).toEqual(expected);
  });

  it("gives the same events however the bytes are split (a CRLF cut in two included)", () => {
    for (const size of [1, 2, 3, 7, 13]) expect(decode(stream, size)).toEqual(expected);
  });

  it("dispatches a last event that no blank line closed", () => {
    expect(decode("data: [DONE]", 5)).toEqual([{ event: "message", data: "[DONE]" }]);
  });
});
