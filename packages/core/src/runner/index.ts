// runner: (being built)
export {};
