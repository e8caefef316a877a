// tts: (being built)
export {};
