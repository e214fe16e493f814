import type { ScreenProps } from '../screens.js';
import { PasswordForm } from './account/password.js';
import { Sessions } from './account/sessions.js';
import { Tokens } from './account/tokens.js';
import './account/account.css';

/** Your own account: the password, where you are signed in, and the API tokens programs use. */
export function Account({ session }: ScreenProps) {
  const { user } = session;
  return (
    <main class="screen account">
      <h1>Account</h1>
      <p class="account-who">
        Signed in as <strong>{user.username}</strong>
        {user.email && <> ({user.email})</>}
        {user.is_admin && ', an administrator'}.
      </p>
      <PasswordForm />
      <Sessions />
      <Tokens />
    </main>
  );
}
