// api.ts - Pluto Cloud's API from its own pages. The access token lives in memory
// only; the refresh token is an HttpOnly cookie the server set for /api/v1/auth,
// which this script can neither read nor leak. A 401 refreshes once (one refresh at a
// time for every request that waits) and retries; a refused refresh means signed out.

import { ApiError, errorOf } from '../api';
import { parseExact } from '../lib/json';

const API = '/api/v1';

export interface Me {
  id: string;
  email: string;
  name: string;
  workspaces: { id: string; name: string; role: Role }[];
}
export type Role = 'owner' | 'editor' | 'viewer' | 'runner';

/* the routes that sign in answer 401 for a wrong password: no refresh for those */
const SIGNING_IN = ['/auth/login', '/auth/refresh', '/auth/register'];

let access = '';
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

/** Called with false when the session ends (refused refresh, sign-out). */
export function onSession(l: (signedIn: boolean) => void): () => void {
  listeners.add(l);
  return () => void listeners.delete(l);
}

function ended() {
  access = '';
  listeners.forEach((l) => l(false));
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  if (access) headers.Authorization = `Bearer ${access}`;
  try {
    return await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'cannot reach Pluto Cloud: check your connection and try again');
  }
}

/** Trade the cookie for a new access token: true when signed in. */
export function refresh(): Promise<boolean> {
  /* the session cookie (no secret in it) says there is a sign-in to refresh */
  if (!document.cookie.split('; ').includes('pluto_cloud_session=1')) return Promise.resolve(false);
  if (!refreshing)
    refreshing = (async () => {
      try {
        const res = await send('POST', '/auth/refresh', {});
        if (!res.ok) return false;
        access = (parseExact(await res.text()) as { access_token: string }).access_token;
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => (refreshing = null), 0);
      }
    })();
  return refreshing;
}

export async function request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  /* signed out (or not yet signed in): nothing to send, and no 401 to earn */
  if (!access && !SIGNING_IN.includes(path) && !(await refresh())) {
    ended();
    throw new ApiError(401, 'unauthorized', 'you are signed out: sign in again');
  }
  let res = await send(method, path, body);
  if (res.status === 401 && !SIGNING_IN.includes(path)) {
    if (await refresh()) res = await send(method, path, body);
    else {
      ended();
      throw new ApiError(401, 'unauthorized', 'your sign-in has ended: sign in again');
    }
  }
  if (!res.ok) throw await errorOf(res);
  return parseExact(await res.text()) as T;
}

export const get = <T = any>(path: string) => request<T>('GET', path);
export const post = <T = any>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const patch = <T = any>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T = any>(path: string) => request<T>('DELETE', path);

/** The bytes of an artifact as text (a report or its metadata), with the token. */
export async function artifactText(ws: string, run: string, id: string): Promise<string> {
  const path = `/workspaces/${ws}/runs/${run}/artifacts/${id}/content`;
  let res = await send('GET', path);
  if (res.status === 401 && (await refresh())) res = await send('GET', path);
  if (!res.ok) throw await errorOf(res);
  return res.text();
}

export async function signIn(email: string, password: string): Promise<void> {
  const t = await request<{ access_token: string }>('POST', '/auth/login', { email, password, cookie: true });
  access = t.access_token;
  listeners.forEach((l) => l(true));
}

export async function register(email: string, password: string, name: string, invitation: string): Promise<void> {
  const t = await request<{ access_token: string }>('POST', '/auth/register', { email, password, name, invitation, cookie: true });
  access = t.access_token;
  listeners.forEach((l) => l(true));
}

export async function signOut(): Promise<void> {
  try {
    if (access) await request('POST', '/auth/logout', {});
  } finally {
    ended();
  }
}

/** "/workspaces/ID" + rest: every workspace path names its workspace. */
export const wsPath = (ws: string, rest = '') => `/workspaces/${ws}${rest}`;
