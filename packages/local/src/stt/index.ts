// stt: (being built)
export {};
