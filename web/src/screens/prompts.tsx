import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function Prompts(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Prompts</h1>
    </main>
  );
}
