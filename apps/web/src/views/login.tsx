import { useState, type FormEvent } from 'react';
import { adopt, api, explain, type Session } from '../api.js';

/** The key is sent once, to be exchanged for the session cookie; it is kept in no storage. */
export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const s = await api.send<Session>('POST', '/v1/sessions', { body: { apiKey: key } });
      setKey('');
      onLogin(adopt(s)!);
    } catch (err) {
      setError(explain(err));
    }
  };
  return (
    <main className="login">
      <h1>xenplane</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required />
        <button type="submit">Log in</button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
