import { useEffect, useRef, useState } from 'react';
import RFB from '@novnc/novnc';
import { api, explain } from '../api.js';

/** The VM's screen in the page: a single-use console URL from the API, then noVNC over its WebSocket. */
export function ConsoleView({ vmId }: { vmId: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [state, setState] = useState('connecting');
  useEffect(() => {
    let rfb: RFB | undefined;
    let live = true;
    api
      .send<{ url: string }>('POST', `/v1/vms/${vmId}/console`)
      .then(({ url }) => {
        if (!live || !screen.current) return;
        rfb = new RFB(screen.current, url, { wsProtocols: ['binary'] });
        rfb.scaleViewport = true;
        rfb.addEventListener('connect', () => setState('connected'));
        rfb.addEventListener('disconnect', () => setState('disconnected'));
      })
      .catch((err: unknown) => setState(explain(err)));
    return () => {
      live = false;
      rfb?.disconnect();
    };
  }, [vmId]);
  return (
    <section aria-label="console">
      <p>
        <a href="#vms">Back to VMs</a> · <span role="status">Console: {state}</span>
      </p>
      <div id="console-screen" ref={screen} className="screen" />
    </section>
  );
}
