// Options of what an agent does with the call's video (docs/vision.md).

export interface VisionOptions {
  /**
   * Attach the speaker's latest frame to the LLM request when their turn ends (an `images` part
   * of their message; the history keeps the words only, so a picture is sent once). A fresh
   * frame is asked for when they start speaking. Default true: an LLM that cannot see ignores it.
   */
  llmFrames: boolean;
  /** Width of the frames sent to the LLM (aspect kept). */
  llmFrameWidthPx: number;
  /** JPEG quality 1..100 of those frames. */
  jpegQuality: number;
  /** A frame taken longer ago than this when the turn ends is not sent. */
  maxFrameAgeMs: number;
  /** Give up on a fresh frame that has not come after this long (the camera stalled). */
  frameTimeoutMs: number;
}

export const defaultVisionOptions = {
  llmFrames: true,
  llmFrameWidthPx: 640,
  jpegQuality: 75,
  maxFrameAgeMs: 10_000,
  frameTimeoutMs: 3000,
} as const satisfies VisionOptions;

/**
 * Tokens a provider bills for one image, estimated (OpenAI's high-detail rule: 85 plus 170 per
 * 512-pixel tile; Gemini bills 258 for a picture this size). Used for `vlm_input_tokens__total`.
 */
export function estimatedImageTokens(widthPx: number, heightPx: number): number {
  return 85 + 170 * Math.ceil(widthPx / 512) * Math.ceil(heightPx / 512);
}
