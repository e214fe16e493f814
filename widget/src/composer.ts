/** How often, while the visitor keeps typing, the team is told again that they are. */
const TYPING_REFRESH_MS = 3000;

/**
 * The composer's keys and the visitor's typing signal: Enter sends (Shift+Enter, or Enter while an
 * input method composes, is a new line), and while the visitor types the team is told so, again
 * every few seconds, until the message is sent or the visitor leaves the box.
 */
export function wireComposer(
  composer: HTMLFormElement,
  input: HTMLTextAreaElement,
  on: { send(text: string): void; typing(typing: boolean): void },
): void {
  let typingSent = 0;
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    typingSent = 0;
    on.typing(false);
    on.send(text);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    const now = Date.now();
    if (input.value && now - typingSent > TYPING_REFRESH_MS) {
      typingSent = now;
      on.typing(true);
    }
  });
  input.addEventListener('blur', () => {
    if (typingSent) on.typing(false);
    typingSent = 0;
  });
}
