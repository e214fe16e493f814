import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function Channels(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Channels</h1>
    </main>
  );
}
