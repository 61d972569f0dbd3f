// The shell: who is signed in, the navigation, and which page the path shows.
import { createContext } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, isAdmin, post, setUnauthorizedHandler, type User } from './api';
import { navigate, useLocation } from './router';
import { Link } from './ui';
import { SignIn } from './pages/signin';
import { Browse } from './pages/browse';
import { Viewer } from './pages/viewer';
import { Upload } from './pages/upload';
import { Keys } from './pages/keys';
import { Boxes, Transactions } from './pages/boxes';
import { Users } from './pages/users';
import { System } from './pages/system';
import { Log } from './pages/log';
import { Scps, Scus, Watches, Forwarding } from './pages/nodes';
import { SeriesTypes } from './pages/seriestypes';
import { Filters } from './pages/filters';
import { SelectionContext, type Selection } from './selection';

export const UserContext = createContext<User | null>(null);

interface NavItem {
  path: string;
  label: string;
  admin?: boolean;
}
const nav: NavItem[] = [
  { path: '/patients', label: 'Browse' },
  { path: '/upload', label: 'Upload' },
  { path: '/anonymization', label: 'Anonymization' },
  { path: '/boxes', label: 'Boxes' },
  { path: '/transactions', label: 'Transactions' },
  { path: '/forwarding', label: 'Forwarding' },
  { path: '/scps', label: 'SCPs' },
  { path: '/scus', label: 'SCUs' },
  { path: '/watches', label: 'Watches' },
  { path: '/seriestypes', label: 'Series types' },
  { path: '/filters', label: 'Filters' },
  { path: '/log', label: 'Log' },
  { path: '/users', label: 'Users', admin: true },
  { path: '/system', label: 'System' },
];

function route(path: string) {
  const image = /^\/images\/(\d+)$/.exec(path);
  if (image) return <Viewer id={Number(image[1])} />;
  switch (path) {
    case '/patients':
      return <Browse />;
    case '/upload':
      return <Upload />;
    case '/anonymization':
      return <Keys />;
    case '/boxes':
      return <Boxes />;
    case '/transactions':
      return <Transactions />;
    case '/forwarding':
      return <Forwarding />;
    case '/scps':
      return <Scps />;
    case '/scus':
      return <Scus />;
    case '/watches':
      return <Watches />;
    case '/seriestypes':
      return <SeriesTypes />;
    case '/filters':
      return <Filters />;
    case '/log':
      return <Log />;
    case '/users':
      return <Users />;
    case '/system':
      return <System />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <section class="page">
      <h1>Nothing here</h1>
      <p>
        <Link href="/patients">Back to the patients</Link>
      </p>
    </section>
  );
}

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [selection, setSelection] = useState<Selection>(new Map());
  const { path } = useLocation();

  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
    get<User>('/users/current').then(setUser, (e) => {
      if (!(e instanceof ApiError) || e.status === 404 || e.status === 401) setUser(null);
      else setUser(null);
    });
  }, []);

  useEffect(() => {
    if (user && (path === '/' || path === '/signin')) navigate('/patients', true);
  }, [user, path]);

  if (user === undefined) return <div class="loading">Loading…</div>;
  if (user === null) return <SignIn onSignedIn={setUser} />;

  const signOut = async () => {
    try {
      await post('/users/logout');
    } finally {
      setUser(null);
      setSelection(new Map());
      navigate('/', true);
    }
  };

  return (
    <UserContext.Provider value={user}>
      <SelectionContext.Provider value={{ selection, setSelection }}>
      <div class="shell">
        <nav class="nav">
          <Link href="/patients" class="brand">
            slicebox
          </Link>
          {nav
            .filter((n) => !n.admin || isAdmin(user))
            .map((n) => (
              <Link href={n.path} class={path.startsWith(n.path) ? 'current' : ''}>
                {n.label}
              </Link>
            ))}
          <div class="who">
            <span title={user.role}>
              {user.user} <small>{user.role.toLowerCase()}</small>
            </span>
            <button onClick={signOut}>Sign out</button>
          </div>
        </nav>
        <main>{route(path === '/' ? '/patients' : path)}</main>
      </div>
      </SelectionContext.Provider>
    </UserContext.Provider>
  );
}
