import { useEffect, useState } from 'react';
import { adopt, api, resume, type Session } from './api.js';
import { live } from './live.js';
import { useLiveState } from './use-poll.js';
import { Login } from './views/login.js';
import { OPERATOR_VIEWS, TENANT_VIEWS, type View } from './views/index.js';

/** The shell: login, then the views the session's role may use, chosen by the URL's hash. */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [hash, setHash] = useState(window.location.hash.slice(1));
  useEffect(() => void resume().then(setSession), []);
  // One event stream per logged-in page: views follow it, and poll only while it is down.
  useEffect(() => {
    if (!session) return;
    live.start();
    return () => live.stop();
  }, [session]);
  const liveState = useLiveState();
  useEffect(() => {
    const on = () => setHash(window.location.hash.slice(1));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  if (session === undefined) return <main aria-busy="true">Loading…</main>;
  if (!session) return <Login onLogin={setSession} />;
  const views: View[] = session.role === 'operator' ? OPERATOR_VIEWS : TENANT_VIEWS;
  const current = views.find((v) => v.id === hash.split('/')[0]) ?? views[0];
  const logout = async () => {
    await api.send('DELETE', '/v1/sessions/current').catch(() => undefined);
    setSession(adopt(null));
  };
  const Current = current.component;
  return (
    <>
      <header>
        <h1>xenplane</h1>
        <span className="live" role="status" aria-label="updates">
          {liveState === 'live' ? 'Live' : liveState === 'polling' ? 'Polling (event stream down)' : 'Connecting…'}
        </span>
        <span className="who">
          {session.keyName} ({session.role})
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav aria-label="views">
        <ul>
          {views.map((v) => (
            <li key={v.id}>
              <a href={`#${v.id}`} aria-current={v.id === current.id ? 'page' : undefined}>
                {v.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h2>{current.title}</h2>
        <Current session={session} route={hash} />
      </main>
    </>
  );
}
