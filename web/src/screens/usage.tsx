import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function Usage(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Usage</h1>
    </main>
  );
}
