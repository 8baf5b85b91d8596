// main.tsx - Pluto Cloud's pages: the theme first (no flash), then the app.
import { render } from 'preact';
import { applyTheme } from '../theme';
import { CloudApp } from './app';
import '../styles.css';
import './cloud.css';

applyTheme();
render(<CloudApp />, document.getElementById('app')!);
