// What every provider kind does: send one chat request, return the answer text, why it
// stopped, and usage when the server reported it. Retries, limits, JSON and metering live
// above this, once, for all kinds.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatCall {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  /** Ask the server for JSON that satisfies this schema (when it can). */
  jsonSchema?: object;
  stream: boolean;
}

export interface ChatAnswer {
  text: string;
  /** "stop", "length", "content_filter", … as the server said; null when it did not. */
  finishReason: string | null;
  /** Usage as the server reported it; undefined when it sent none. */
  usage?: { promptTokens: number; completionTokens: number };
  /** The model that answered, if the server named it. */
  model?: string;
}

export interface CallContext {
  /** Aborted on timeout or when the request is stopped. */
  signal: AbortSignal;
  /** Each streamed piece of answer text, as it arrives. */
  onDelta?: (piece: string) => void;
}

export interface ChatTransport {
  chat(call: ChatCall, ctx: CallContext): Promise<ChatAnswer>;
}
