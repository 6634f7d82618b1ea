import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { login, logout, readSession, whenUnauthenticated } from './api.js';
import { AuditPage } from './pages/audit.js';
import { BridgeDetailPage } from './pages/bridge-detail.js';
import { BridgesPage } from './pages/bridges.js';
import { PoolsPage } from './pages/pools.js';
import { QueuesPage } from './pages/queues.js';
import { ComparePage, StatsPage } from './pages/stats.js';
import { SuppressionsPage } from './pages/suppressions.js';
import { ErrorText } from './ui.js';
import './styles.css';

/** The current hash route, e.g. `/bridges/brg_1`. */
function useRoute(): string {
  const read = () => decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0] ?? '') || '/bridges';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV = [
  ['/bridges', 'Bridges'],
  ['/stats', 'Stats'],
  ['/pools', 'Pools & IPs'],
  ['/suppressions', 'Suppressions'],
  ['/audit', 'Audit log'],
  ['/queues', 'Queues'],
] as const;

function page(route: string) {
  const parts = route.split('/').filter(Boolean);
  if (parts[0] === 'bridges' && parts[1] && parts[2] === 'stats') return <StatsPage bridgeId={parts[1]} />;
  if (parts[0] === 'bridges' && parts[1]) return <BridgeDetailPage id={parts[1]} />;
  switch (parts[0]) {
    case 'stats':
      return <ComparePage />;
    case 'pools':
      return <PoolsPage />;
    case 'suppressions':
      return <SuppressionsPage />;
    case 'audit':
      return <AuditPage />;
    case 'queues':
      return <QueuesPage />;
    default:
      return <BridgesPage />;
  }
}

function LoginPage({ onLogin }: { onLogin: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <main id="content" class="login">
      <h1>Bridgemail console</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await login(token.trim());
            onLogin();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <ErrorText error={error} />
        <button type="submit" class="primary">
          Log in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<'unknown' | 'in' | 'out'>('unknown');
  const route = useRoute();
  useEffect(() => {
    whenUnauthenticated(() => setSession('out'));
    readSession().then(
      (s) => setSession(s.authenticated ? 'in' : 'out'),
      () => setSession('out'),
    );
  }, []);
  useEffect(() => {
    // Tell screen readers a new page is shown: move focus to its heading.
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route, session]);
  if (session === 'unknown') return <p role="status">Loading…</p>;
  if (session === 'out') {
    return (
      <LoginPage
        onLogin={() => {
          setSession('in');
          const next = new URLSearchParams(location.hash.split('?')[1] ?? '').get('next');
          if (next === '/queues') location.assign('/queues');
          else if (route === '/login') location.hash = '#/bridges';
        }}
      />
    );
  }
  return (
    <>
      <a
        class="skip"
        href="#content"
        onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}
      >
        Skip to content
      </a>
      <header>
        <span class="brand">Bridgemail</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a
                  href={`#${href}`}
                  aria-current={
                    route === href || (href === '/bridges' && route.startsWith('/bridges')) ? 'page' : undefined
                  }
                >
                  {label}
                </a>
              </li>
            ))}
            <li>
              <a href="/queues">bull-board</a>
            </li>
          </ul>
        </nav>
        <button
          type="button"
          class="small"
          onClick={async () => {
            await logout();
            setSession('out');
          }}
        >
          Log out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {page(route)}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
