import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function FirstRun(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Get started</h1>
    </main>
  );
}
