// theme.tsx - light, dark or the system's choice, kept in this browser; shared by the
// workbench and Pluto Cloud's pages.

import { useState } from 'preact/hooks';

const THEME_KEY = 'pluto-duck.theme';
type Theme = 'auto' | 'light' | 'dark';

export function applyTheme(theme: Theme = (localStorage.getItem(THEME_KEY) as Theme) || 'auto'): void {
  const dark = theme === 'dark' || (theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>((localStorage.getItem(THEME_KEY) as Theme) || 'auto');
  const choose = (t: Theme) => {
    localStorage.setItem(THEME_KEY, t);
    setTheme(t);
    applyTheme(t);
  };
  return (
    <label class="theme">
      Theme{' '}
      <select value={theme} onChange={(e) => choose((e.target as HTMLSelectElement).value as Theme)}>
        <option value="auto">auto</option>
        <option value="light">light</option>
        <option value="dark">dark</option>
      </select>
    </label>
  );
}

