// vad: (being built)
export {};
