// voice: (being built)
export {};
