// launcher: (being built)
export {};
