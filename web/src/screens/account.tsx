import type { ScreenProps } from '../screens.js';

// Scaffold: the helper building this screen replaces it.
export function Account(_props: ScreenProps) {
  return (
    <main class="screen">
      <h1>Account</h1>
    </main>
  );
}
