import './style.css';
import { createLocalPanel } from './local-panel.js';
import { createRemotePanel } from './remote-panel.js';

const root = document.querySelector('#panels');
if (root === null) throw new Error('index.html has no #panels element');
root.append(createRemotePanel(), createLocalPanel());
