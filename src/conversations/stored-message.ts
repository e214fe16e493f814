import type { MessageType } from '../db/schema/index.js';

/** A message as a conversation's history holds it. */
export interface StoredMessage {
  id: string;
  /** Order within the conversation. */
  seq: number;
  type: MessageType;
  text: string;
  createdAt: Date;
  responseTimeMs: number | null;
}
