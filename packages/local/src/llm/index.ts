// llm: (being built)
export {};
