// edge: (being built)
export {};
