// The parts of the Gemini API's JSON that this plugin writes and reads (generativelanguage v1beta:
// Content, Part, FunctionDeclaration, Schema, GenerateContentResponse). Shared by every model
// class of the package: the streaming LLM now, the Live API later (it speaks the same Content).

/** One piece of a Content: text, a picture, a function call or its result. */
export interface WirePart {
  text?: string;
  /** True on a thought summary (sent only when asked for); never spoken. */
  thought?: boolean;
  /** Opaque; handed back with the part it came on, so a thinking model keeps its reasoning. */
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface WireContent {
  role?: "user" | "model";
  parts: WirePart[];
}

/** Gemini's Schema: an OpenAPI 3.0 subset (see schema.ts for what is kept and what is converted). */
export interface WireSchema {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: WireSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, WireSchema>;
  required?: string[];
  propertyOrdering?: string[];
  minProperties?: number;
  maxProperties?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: WireSchema[];
  default?: unknown;
  example?: unknown;
}

export interface WireFunctionDeclaration {
  name: string;
  description: string;
  /** Absent for a function without arguments (Gemini refuses an OBJECT without properties). */
  parameters?: WireSchema;
}

export interface GenerateContentRequest {
  contents: WireContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: WireFunctionDeclaration[] }[];
  generationConfig?: {
    temperature?: number;
    maxOutputTokens?: number;
    thinkingConfig?: { thinkingBudget: number };
  };
}

export interface WireUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

/** One streamed chunk (`data:` of one SSE event): the same shape as a whole response. */
export interface GenerateContentResponse {
  candidates?: {
    content?: { role?: string; parts?: WirePart[] };
    finishReason?: string;
    finishMessage?: string;
    index?: number;
  }[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: WireUsage;
  modelVersion?: string;
  responseId?: string;
  /** An error reported in the body of a stream that had started well. */
  error?: { code?: number; message?: string; status?: string; details?: unknown[] };
}
