import { ConfigError } from "callwright";
import { describe, expect, test } from "vitest";
import { browserIceServer, parsePortRange, webRtcOptionsFromEnv } from "./options.js";

describe("WebRTC options from the environment", () => {
  test("reads every variable", () => {
    expect(
      webRtcOptionsFromEnv({
        CALLWRIGHT_WEBRTC_ICE_SERVERS: "stun:stun.example.org:3478, turn:me:secret@turn.example.org:3478",
        CALLWRIGHT_WEBRTC_ADVERTISED_ADDRESS: "203.0.113.4",
        CALLWRIGHT_WEBRTC_BIND_ADDRESS: "0.0.0.0",
        CALLWRIGHT_WEBRTC_PORT_RANGE: "50000-50100",
      }),
    ).toEqual({
      iceServers: ["stun:stun.example.org:3478", "turn:me:secret@turn.example.org:3478"],
      advertisedAddress: "203.0.113.4",
      bindAddress: "0.0.0.0",
      portRange: { begin: 50000, end: 50100 },
    });
    expect(webRtcOptionsFromEnv({})).toEqual({});
  });

  test("a malformed value names its variable", () => {
    expect(() => webRtcOptionsFromEnv({ CALLWRIGHT_WEBRTC_PORT_RANGE: "5000-1" })).toThrow(ConfigError);
    expect(() => webRtcOptionsFromEnv({ CALLWRIGHT_WEBRTC_PORT_RANGE: "abc" })).toThrow(
      /CALLWRIGHT_WEBRTC_PORT_RANGE 'abc'/,
    );
    expect(() => webRtcOptionsFromEnv({ CALLWRIGHT_WEBRTC_ICE_SERVERS: "http://x" })).toThrow(
      /CALLWRIGHT_WEBRTC_ICE_SERVERS entry 'http:\/\/x'/,
    );
    expect(() => webRtcOptionsFromEnv({ CALLWRIGHT_WEBRTC_ADVERTISED_ADDRESS: "a b" })).toThrow(
      /CALLWRIGHT_WEBRTC_ADVERTISED_ADDRESS/,
    );
  });

  test("a single port is a range of one", () => {
    expect(parsePortRange("50000", "x")).toEqual({ begin: 50000, end: 50000 });
  });

  test("ICE servers are handed to the page in RTCIceServer form", () => {
    expect(browserIceServer("stun:stun.example.org:3478")).toEqual({ urls: "stun:stun.example.org:3478" });
    expect(browserIceServer("turn:me:secret@turn.example.org:3478?transport=udp")).toEqual({
      urls: "turn:turn.example.org:3478?transport=udp",
      username: "me",
      credential: "secret",
    });
  });
});
