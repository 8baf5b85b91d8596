// main.tsx - the entry point: the theme first (no flash), then the app.
import { render } from 'preact';
import { App, applyTheme } from './app';
import './styles.css';

applyTheme();
render(<App />, document.getElementById('app')!);
