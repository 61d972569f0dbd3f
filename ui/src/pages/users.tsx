// Users (GET/POST /api/users, DELETE /api/users/{id}); only administrators see this page.
import { useContext, useState } from 'preact/hooks';
import { del, get, isAdmin, post, type User } from '../api';
import { UserContext } from '../app';
import { ErrorBox, Page, useAction, useData } from '../ui';

export function Users() {
  const me = useContext(UserContext);
  const users = useData(() => get<User[]>('/users?count=1000'), []);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('USER');
  const action = useAction();
  if (!isAdmin(me)) return <Page title="Users">Only administrators manage users.</Page>;
  const create = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await post('/users', { user: name, role, password });
      setName('');
      setPassword('');
      users.reload();
    });
  };
  return (
    <Page title="Users">
      <ErrorBox error={users.error || action.error} />
      <table class="grid">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr>
              <td>{u.user}</td>
              <td>{u.role}</td>
              <td>
                {u.role !== 'SUPERUSER' && u.id !== me?.id && (
                  <button
                    class="danger small"
                    onClick={() =>
                      confirm(`Delete the user ${u.user}?`) &&
                      action.run(async () => {
                        await del(`/users/${u.id}`);
                        users.reload();
                      })
                    }
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card inline" onSubmit={create}>
        <h2>New user</h2>
        <label>
          Name
          <input name="new-user" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input
            name="new-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <label>
          Role
          <select name="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="USER">user</option>
            <option value="ADMINISTRATOR">administrator</option>
          </select>
        </label>
        <button class="primary" disabled={!name || !password || action.busy}>
          Create
        </button>
      </form>
    </Page>
  );
}
