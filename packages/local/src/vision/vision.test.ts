import type { ProcessorInference } from "callwright";
import { silentLogger } from "callwright";
import { afterAll, describe, expect, test } from "vitest";
import { cardFrame, portraitFrame } from "../../test-fixtures/pictures.js";
import { colourName } from "./colour.js";
import { Vision } from "./local-vision.js";

describe("local.Vision (offline face and object detection)", () => {
  const vision = new Vision();
  const inferences: ProcessorInference[] = [];
  afterAll(() => vision.close());

  test("colour names", () => {
    expect(colourName([220, 20, 30])).toBe("red");
    expect(colourName([20, 30, 90])).toBe("dark blue");
    expect(colourName([30, 160, 60])).toBe("green");
    expect(colourName([245, 245, 245])).toBe("white");
    expect(colourName([10, 10, 10])).toBe("black");
    expect(colourName([22, 24, 42])).toBe("dark blue"); // a navy top in a dim room
    expect(colourName([250, 220, 40])).toBe("yellow");
  });

  test("a portrait: one person, the colour of her top, said plainly", { timeout: 60_000 }, async () => {
    await vision.warmup({ logger: silentLogger });
    vision.start({
      signal: new AbortController().signal,
      logger: silentLogger,
      publishVideo: undefined,
      recordInference: (i) => inferences.push(i),
    });
    expect(vision.describe("ada")).toMatch(/camera is off, so nothing can be seen/);
    vision.videoState("ada", { active: true, source: "camera" });
    expect(vision.describe("ada")).toMatch(/no picture has been looked at yet/);
    await vision.processFrame(await portraitFrame(), "ada");
    const scene = vision.scene("ada")!;
    expect(scene.faces).toHaveLength(1);
    expect(scene.people).toBe(1);
    expect(scene.clothingColour).toMatch(/blue/);
    expect(vision.describe("ada")).toMatch(
      /shows 1 person \(1 face\)\. The person nearest the camera wears (dark )?blue/,
    );
    expect(inferences).toHaveLength(1);
    expect(inferences[0]!.latencyMs).toBeGreaterThan(0);
  });

  test("a red card: no people, a red middle", { timeout: 60_000 }, async () => {
    await vision.processFrame(cardFrame([200, 25, 30]), "bo");
    vision.videoState("bo", { active: true, source: "camera" });
    const scene = vision.scene("bo")!;
    expect(scene.people).toBe(0);
    expect(scene.clothingColour).toBeUndefined();
    expect(scene.centreColour).toBe("red");
    expect(vision.describe("bo")).toMatch(
      /shows no people \(0 faces\)\. The middle of the picture is mostly red\./,
    );
    vision.videoState("bo", { active: false });
    expect(vision.scene("bo")).toBeUndefined();
  });
});
