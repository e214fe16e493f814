import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function Admin(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Admin</h1>
    </main>
  );
}
