// POST /api/users/login sets the session cookie; GET /api/users/current says who we are.
import { useState } from 'preact/hooks';
import { get, post, type User } from '../api';
import { ErrorBox, useAction } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const [user, setUser] = useState('');
  const [pass, setPass] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await post('/users/login', { user, pass });
      onSignedIn(await get<User>('/users/current'));
    });
  };
  return (
    <form class="signin" onSubmit={submit}>
      <h1>slicebox</h1>
      <label>
        User
        <input name="user" autoComplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} autoFocus />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={pass}
          onInput={(e) => setPass(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={action.busy || !user}>
        Sign in
      </button>
      <ErrorBox error={action.error} />
    </form>
  );
}
