import { useEffect, useRef } from 'preact/hooks';
import { api } from '../api.js';

/** While an agent types, "typing" is said again this often: the visitor's widget forgets it after a while. */
const TYPING_REFRESH_MS = 3000;

/**
 * Tells a website visitor that an agent is typing a reply (`POST …/typing/`): true at most every 3 s
 * while the box has text, false once when it empties, the reply is sent, or the thread is left.
 * Other channels cannot show it, so they are not told. A failure only costs the visitor the hint.
 */
export function useAgentTyping(conversationId: string, shown: boolean): (text: string) => void {
  const saidAt = useRef(0);
  const say = (typing: boolean) =>
    void api<void>('POST', `/api/v1/conversations/${encodeURIComponent(conversationId)}/typing/`, { typing }).catch(
      () => undefined,
    );
  // Leaving the thread (or the page moving to another conversation) while typing: stopped.
  useEffect(
    () => () => {
      if (saidAt.current) say(false);
      saidAt.current = 0;
    },
    [conversationId, shown],
  );
  return (text) => {
    if (!shown) return;
    if (text.trim() === '') {
      if (saidAt.current) say(false);
      saidAt.current = 0;
    } else if (Date.now() - saidAt.current >= TYPING_REFRESH_MS) {
      saidAt.current = Date.now();
      say(true);
    }
  };
}
