/**
 * One recogniser instance that decodes one utterance at a time. The pool lends decoders to
 * streams; `PocketsphinxDecoder` is the real one, tests use fakes.
 *
 * Calls on one decoder never overlap: its holder awaits each before the next.
 */
export interface Decoder {
  /** Starts an utterance. `adaptation` is the holder's own state from its previous utterance. */
  startUtterance(adaptation: DecoderAdaptation | undefined): Promise<void>;
  /** Decodes more 16 kHz mono PCM of the current utterance. */
  process(samples: Int16Array): Promise<void>;
  /** Best hypothesis so far, mid-utterance (for interims). */
  partialHypothesis(): Promise<string>;
  /** Ends the utterance: the final text, and the state to resume this speaker's next utterance with. */
  endUtterance(): Promise<{ text: string; adaptation: DecoderAdaptation | undefined }>;
  /** True between `startUtterance` and `endUtterance`. */
  readonly inUtterance: boolean;
  /** Frees the native decoder. The decoder is unusable afterwards. */
  free(): void;
}

/**
 * What a decoder learns about one audio channel and carries from utterance to utterance
 * (pocketsphinx: the live cepstral mean). The stream keeps it, so a shared decoder does not carry
 * one speaker's channel into another's utterance.
 */
export type DecoderAdaptation = Float32Array;
