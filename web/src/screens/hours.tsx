import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function BusinessHours(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Business hours</h1>
    </main>
  );
}
