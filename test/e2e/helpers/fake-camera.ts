// Chromium's fake camera: a Y4M clip (`--use-file-for-fake-video-capture`), written here from an
// RGB picture (I420, the format Chromium reads), and a browser launched with it and a microphone.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rgbToI420 } from "@callwright/webrtc";
import type { VideoFrame } from "callwright";
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM_PATH } from "./local-edge-harness.js";

/** A Y4M clip of `frames` copies of `picture` (Chromium loops it). Returns its path. */
export function y4mClip(picture: VideoFrame, name: string, frames = 15, fps = 15): string {
  const image = rgbToI420(picture);
  const header = Buffer.from(
    `YUV4MPEG2 W${picture.widthPx} H${picture.heightPx} F${fps}:1 Ip A1:1 C420jpeg\n`,
    "ascii",
  );
  const frame = Buffer.concat([Buffer.from("FRAME\n", "ascii"), image.y, image.u, image.v]);
  const path = join(mkdtempSync(join(tmpdir(), "callwright-camera-")), `${name}.y4m`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
  return path;
}

export function launchChromiumWithCamera(microphoneWav: string, cameraY4m: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreDefaultArgs: ["--headless"],
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${microphoneWav}`,
      `--use-file-for-fake-video-capture=${cameraY4m}`,
      "--autoplay-policy=no-user-gesture-required",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
}
