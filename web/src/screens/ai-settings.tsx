import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function AiSettings(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>AI settings</h1>
    </main>
  );
}
