import { useCallback, useEffect, useRef, useState } from 'react';
import { explain } from './api.js';
import { live, type LiveEvent, type LiveState } from './live.js';

/** The stream's state, for views that say whether they are live. */
export function useLiveState(): LiveState {
  const [state, setState] = useState(live.state);
  useEffect(() => live.watch(setState), []);
  return state;
}

/** Calls `on` for each event while the view is shown. */
export function useLiveEvents(on: (e: LiveEvent) => void): void {
  const ref = useRef(on);
  ref.current = on;
  useEffect(() => live.subscribe((e) => ref.current(e)), []);
}

/**
 * Data loaded once, then again when an event passes `when` (coalesced over 200 ms), and every `everyMs` only while
 * the event stream is down (the fallback); `when` absent: loaded once, and polled only in the fallback.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  deps: unknown[],
  everyMs = 5000,
  when?: (e: LiveEvent) => boolean,
): { data: T | undefined; error: string | null; reload: () => void; setData: (f: (d: T | undefined) => T | undefined) => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const state = useLiveState();
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useLiveEvents((e) => {
    if (!when?.(e) || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      reload();
    }, 200);
  });
  useEffect(() => () => clearTimeout(pending.current), []);
  useEffect(() => {
    let on = true;
    load().then(
      (d) => on && (setData(d), setError(null)),
      (e: unknown) => on && setError(explain(e)),
    );
    const t = state === 'polling' && everyMs > 0 ? setTimeout(reload, everyMs) : undefined;
    return () => {
      on = false;
      clearTimeout(t);
    };
  }, [...deps, tick, state === 'polling']);
  return { data, error, reload, setData };
}
