// router.ts - the app's routes are plain paths (/sql, /chat/ID, /boards/NAME); the
// server answers any of them with index.html. navigate() changes the path without
// a reload; useRoute() re-renders on every change.

import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** The path's segments, decoded: "/boards/sales" -> ["boards", "sales"]. */
export function useRoute(): string[] {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const l = () => setPath(location.pathname);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

/** A link that navigates inside the app (a normal link for new tabs). */
export function linkProps(path: string) {
  return {
    href: path,
    onClick: (e: MouseEvent) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
