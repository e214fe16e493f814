import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function TryIt(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Try it</h1>
    </main>
  );
}
