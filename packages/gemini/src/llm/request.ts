// The body of `POST /v1beta/models/{model}:streamGenerateContent`, from callwright's request.
import type { LlmRequest } from "@callwright/spec";
import { type CallBook, toContents } from "../wire/contents.js";
import { toGeminiSchema } from "../wire/schema.js";
import type { GenerateContentRequest, WireFunctionDeclaration } from "../wire/types.js";

export interface BodyOptions {
  model: string;
  temperature: number | undefined;
  maxOutputTokens: number | undefined;
  thinkingBudget: number | undefined;
  calls: CallBook;
}

export interface Body {
  body: GenerateContentRequest;
  /** JSON-schema keywords left out of function declarations (Gemini has no form for them). */
  droppedSchemaKeywords: string[];
}

/** Gemini 3 refuses an unsigned function call in the current turn; Google documents this placeholder. */
const PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator";

export function generateContentBody(request: LlmRequest, options: BodyOptions): Body {
  const { systemInstruction, contents } = toContents(request.messages, {
    calls: options.calls,
    placeholderSignature: options.model.startsWith("gemini-3") ? PLACEHOLDER_SIGNATURE : undefined,
  });
  const body: GenerateContentRequest = { contents };
  if (systemInstruction !== undefined) body.systemInstruction = systemInstruction;
  const dropped = new Set<string>();
  if (request.tools !== undefined && request.tools.length > 0) {
    const functionDeclarations: WireFunctionDeclaration[] = request.tools.map((tool) => {
      const { schema, dropped: lost } = toGeminiSchema(tool.parameters);
      for (const k of lost) dropped.add(k);
      return {
        name: tool.name,
        description: tool.description,
        ...(schema === undefined ? {} : { parameters: schema }),
      };
    });
    body.tools = [{ functionDeclarations }];
  }
  const generationConfig: NonNullable<GenerateContentRequest["generationConfig"]> = {};
  const temperature = request.temperature ?? options.temperature;
  if (temperature !== undefined) generationConfig.temperature = temperature;
  const maxOutputTokens = request.maxOutputTokens ?? options.maxOutputTokens;
  if (maxOutputTokens !== undefined) generationConfig.maxOutputTokens = maxOutputTokens;
  if (options.thinkingBudget !== undefined) {
    generationConfig.thinkingConfig = { thinkingBudget: options.thinkingBudget };
  }
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return { body, droppedSchemaKeywords: [...dropped].sort() };
}
