// @callwright/openai: OpenAI-compatible chat completions (OpenAI, Ollama, llama.cpp, vLLM).
export {};
