import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { login, logout, readSession, whenUnauthenticated, type Session } from './api.js';
import { ActivityPage } from './pages/activity.js';
import { AccountsPage } from './pages/accounts.js';
import { AnalystsPage } from './pages/analysts.js';
import { AuditPage } from './pages/audit.js';
import { BridgeDetailPage } from './pages/bridge-detail.js';
import { BridgesPage } from './pages/bridges.js';
import { PoolsPage } from './pages/pools.js';
import { QueuesPage } from './pages/queues.js';
import { ComparePage, StatsPage } from './pages/stats.js';
import { SuppressionsPage } from './pages/suppressions.js';
import { TemplatesPage } from './pages/templates.js';
import { ErrorText, useCardLabels } from './ui.js';
import './styles.css';
import './layout.css';

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

/** The pages, and whether they are the operator's alone (an account's session does not show them). */
const NAV = [
  ['/bridges', 'Bridges', false],
  ['/activity', 'Activity', false],
  ['/stats', 'Stats', false],
  ['/pools', 'Pools & IPs', true],
  ['/suppressions', 'Suppressions', false],
  ['/templates', 'Templates', false],
  ['/accounts', 'Accounts', true],
  ['/analysts', 'Analysts (SQL)', true],
  ['/audit', 'Audit log', true],
  ['/queues', 'Queues', true],
] as const;

function page(route: string) {
  const parts = route.split('/').filter(Boolean);
  if (parts[0] === 'bridges' && parts[1] && parts[2] === 'stats') return <StatsPage bridgeId={parts[1]} />;
  if (parts[0] === 'bridges' && parts[1]) return <BridgeDetailPage id={parts[1]} />;
  switch (parts[0]) {
    case 'activity':
      return <ActivityPage messageId={parts[1]} />;
    case 'stats':
      return <ComparePage />;
    case 'pools':
      return <PoolsPage />;
    case 'suppressions':
      return <SuppressionsPage />;
    case 'templates':
      return <TemplatesPage />;
    case 'analysts':
      return <AnalystsPage />;
    case 'audit':
      return <AuditPage />;
    case 'queues':
      return <QueuesPage />;
    case 'accounts':
      return <AccountsPage />;
    default:
      return <BridgesPage />;
  }
}

function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <main id="content" class="login">
      <h1>Bridgemail console</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            onLogin(await login(token.trim()));
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label for="admin-token">Admin token</label>
        <p id="admin-token-hint" class="hint">
          The operator's admin token, or an account's token (bma_…).
        </p>
        <input
          id="admin-token"
          aria-describedby="admin-token-hint"
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
  // The account of an account token's session: its pages only, named in the header.
  const [account, setAccount] = useState<Session['account']>(null);
  const route = useRoute();
  // On a narrow screen the navigation folds behind a Menu button. It is open only for the page it
  // was opened on, so a new page renders with it folded (no effect runs between).
  const [navOpenOn, setNavOpenOn] = useState<string | null>(null);
  const navOpen = navOpenOn === route;
  const mainRef = useRef<HTMLElement>(null);
  useCardLabels(() => mainRef.current, [session]);
  useEffect(() => {
    whenUnauthenticated(() => setSession('out'));
    readSession().then(
      (s) => {
        setAccount(s.account);
        setSession(s.authenticated ? 'in' : 'out');
      },
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
        onLogin={(s) => {
          setAccount(s.account);
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
        {account && <span class="account-name">Account: {account.name}</span>}
        <button
          type="button"
          class="small nav-toggle"
          aria-expanded={navOpen}
          aria-controls="main-nav"
          onClick={() => setNavOpenOn(navOpen ? null : route)}
        >
          Menu
        </button>
        <nav aria-label="Main" id="main-nav" class={navOpen ? 'open' : undefined}>
          <ul>
            {NAV.filter(([, , operatorOnly]) => !account || !operatorOnly).map(([href, label]) => (
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
            {!account && (
              <li>
                <a href="/queues">bull-board</a>
              </li>
            )}
          </ul>
        </nav>
        <button
          type="button"
          class="small logout"
          onClick={async () => {
            await logout();
            setSession('out');
          }}
        >
          Log out
        </button>
      </header>
      <main id="content" tabIndex={-1} ref={mainRef}>
        {page(route)}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
