// server: (being built)
export {};
