import { ConfigError } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { apiKeyFrom, baseUrlFrom, requireApiKey, webSocketUrl } from "./env.js";

describe("keys and base URLs", () => {
  it("takes the option first, then the variables in order, ignoring blanks", () => {
    const env = { GOOGLE_API_KEY: " ", GEMINI_API_KEY: "g-key" };
    expect(apiKeyFrom({ value: undefined, variables: ["GOOGLE_API_KEY", "GEMINI_API_KEY"], env })).toBe(
      "g-key",
    );
    expect(apiKeyFrom({ value: "opt", variables: ["GOOGLE_API_KEY"], env })).toBe("opt");
  });

  it("names every variable when the key is missing", () => {
    const missing = () =>
      requireApiKey({
        value: undefined,
        variables: ["GOOGLE_API_KEY", "GEMINI_API_KEY"],
        env: {},
        providerName: "Gemini",
      });
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow(
      "Gemini needs an API key: set GOOGLE_API_KEY or GEMINI_API_KEY, or pass `apiKey`.",
    );
  });

  it("checks base URLs and names where a bad one came from", () => {
    const env = { DEEPGRAM_BASE_URL: "http://127.0.0.1:8101/" };
    expect(
      baseUrlFrom({
        value: undefined,
        variable: "DEEPGRAM_BASE_URL",
        defaultUrl: "https://api.deepgram.com",
        env,
      }),
    ).toBe("http://127.0.0.1:8101");
    expect(
      baseUrlFrom({
        value: undefined,
        variable: "DEEPGRAM_BASE_URL",
        defaultUrl: "https://api.deepgram.com",
        env: {},
      }),
    ).toBe("https://api.deepgram.com");
    expect(() =>
      baseUrlFrom({
        value: undefined,
        variable: "X_BASE_URL",
        defaultUrl: "https://x",
        env: { X_BASE_URL: "ftp://h" },
      }),
    ).toThrow(/X_BASE_URL must be an http/);
    expect(() => baseUrlFrom({ value: "nope", variable: "X_BASE_URL", defaultUrl: "https://x" })).toThrow(
      /`baseUrl` option is not a URL/,
    );
  });

  it("derives ws:// and wss:// URLs with the query", () => {
    expect(webSocketUrl("http://127.0.0.1:8101", "/v1/listen", { model: "nova-3", skip: undefined })).toBe(
      "ws://127.0.0.1:8101/v1/listen?model=nova-3",
    );
    expect(webSocketUrl("https://api.elevenlabs.io/", "v1/x")).toBe("wss://api.elevenlabs.io/v1/x");
  });
});
