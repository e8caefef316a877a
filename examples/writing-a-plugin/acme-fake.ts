// A fake Acme Speech for the plugin's tests, on the fake kit: it speaks the protocol described in
// acme-stt.ts, checks the key, and "recognises" by counting the audio it was sent (one word per
// 100 ms), so a test can tell from the transcript that the audio arrived whole.
import { FakeServer } from "@callwright/provider-utils/testing";

export async function startFakeAcme(key = "acme-test-key"): Promise<FakeServer> {
  return FakeServer.start({
    authorize: ({ headers }) => headers.authorization === `Bearer ${key}`,
    authFailure: { status: 401, body: { error: "invalid API key" } },
    websocket: (socket) => {
      if (socket.url.pathname !== "/v1/stream") return socket.close(4004, "unknown path");
      let bytes = 0;
      const words = () => Array.from({ length: Math.floor(bytes / 3200) }, () => "word").join(" ");
      socket.onMessage((m) => {
        if (m.binary) {
          bytes += m.data.byteLength;
          socket.sendJson({ type: "partial", text: words() });
          return;
        }
        const command = JSON.parse(m.data) as { type: string };
        if (command.type === "flush") {
          socket.sendJson({ type: "final", text: words(), flushed: true });
          bytes = 0;
        }
        if (command.type === "close") socket.close(1000, "bye");
      });
    },
  });
}
