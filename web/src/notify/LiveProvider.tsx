/**
 * The live connection to GET /api/inbox/stream (Server-Sent Events read with fetch, since the stream needs the bearer
 * token in a header): sets the unread count on connect, bumps it and refreshes the affected lists (inbox, worklist,
 * referrals, critical values) when a notification arrives, and tells subscribers (the critical-value alert).
 * Reconnects with backoff when the connection drops; stops when the user signs out.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError, authorizedFetch } from '../api/client';
import { useAuth } from '../auth';
import { INBOX_COUNT_KEY, withArrival, type Notification, type UnreadCounts } from './api';
import { backoff, SseParser } from './sse';

type Listener = (n: Notification) => void;

interface Live {
  /** Whether the stream is open now (the header shows it; the browser tests wait for it). */
  connected: boolean;
  subscribe(listener: Listener): () => void;
}

const Ctx = createContext<Live>({ connected: false, subscribe: () => () => undefined });

/** Query keys refreshed when a notification of a category arrives. */
const AFFECTED: Record<string, string[][]> = {
  'critical-value': [['critical-values'], ['tasks']],
  referral: [['referrals'], ['tasks']],
  task: [['tasks']],
  escalation: [['tasks'], ['critical-values'], ['referrals']],
  reading: [['tasks']],
};

function onNotification(qc: QueryClient, n: Notification): void {
  qc.setQueryData<UnreadCounts>(INBOX_COUNT_KEY, (c) => withArrival(c, n));
  void qc.invalidateQueries({ queryKey: ['inbox'] });
  for (const key of AFFECTED[n.category] ?? [['tasks']]) void qc.invalidateQueries({ queryKey: key });
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
  const listeners = useRef(new Set<Listener>());
  const user = me?.subject ?? me?.username;

  useEffect(() => {
    if (!user) return;
    const abort = new AbortController();
    let failures = 0;
    const run = async () => {
      // Let the page's first requests go first: the stream holds one of the browser's six connections to the server.
      await new Promise((r) => setTimeout(r, 1000));
      while (!abort.signal.aborted) {
        try {
          const res = await authorizedFetch('/api/inbox/stream', abort.signal, 'text/event-stream');
          if (!res.body) throw new Error('no stream body');
          setConnected(true);
          failures = 0;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          const parser = new SseParser();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const e of parser.push(value)) {
              if (e.event === 'count') qc.setQueryData(INBOX_COUNT_KEY, JSON.parse(e.data) as UnreadCounts);
              else if (e.event === 'notification') {
                const n = JSON.parse(e.data) as Notification;
                onNotification(qc, n);
                for (const l of listeners.current) l(n);
              }
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          // A session that cannot be renewed goes to the login page (api client); nothing more to do here.
          if (e instanceof ApiError && e.status === 401) return;
        }
        setConnected(false);
        // Whatever was missed while disconnected: the lists and the count are asked again after reconnecting.
        await new Promise((r) => setTimeout(r, backoff(failures++)));
        void qc.invalidateQueries({ queryKey: INBOX_COUNT_KEY });
      }
    };
    void run();
    return () => {
      abort.abort();
      setConnected(false);
    };
  }, [user, qc]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const value = useMemo(() => ({ connected, subscribe }), [connected, subscribe]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useLive(): Live {
  return useContext(Ctx);
}

/** Calls `listener` for every notification pushed to the signed-in user while the component is mounted. */
export function useNotifications(listener: Listener): void {
  const { subscribe } = useLive();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => subscribe((n) => ref.current(n)), [subscribe]);
}
