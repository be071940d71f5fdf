// The console's router: the hash names the page (#/topics/orders, #/messages?topic=orders&partition=0),
// each page module renders into <main> and may hand back a function that stops its timers.
import { clusterId } from './api.js';
import { errorBox, replace } from './dom.js';
import { renderCharts } from './pages/charts.js';
import { renderGroup } from './pages/group.js';
import { renderGroups } from './pages/groups.js';
import { renderMessages } from './pages/messages.js';
import { renderOverview } from './pages/overview.js';
import { renderTopic } from './pages/topic.js';
import { renderTopics } from './pages/topics.js';

const ROUTES = [
  [/^\/overview$/, 'overview', () => renderOverview],
  [/^\/topics$/, 'topics', () => renderTopics],
  [/^\/topics\/(.+)$/, 'topics', (name) => (main, query) => renderTopic(main, name, query)],
  [/^\/messages$/, 'messages', () => renderMessages],
  [/^\/groups$/, 'groups', () => renderGroups],
  [/^\/groups\/(.+)$/, 'groups', (id) => (main, query) => renderGroup(main, id, query)],
  [/^\/charts$/, 'charts', () => renderCharts],
];

let stopPage = null;
let rendering = 0;

async function route() {
  const main = document.getElementById('page');
  const [path, search = ''] = (location.hash.replace(/^#/, '') || '/overview').split('?');
  const query = new URLSearchParams(search);
  const found = ROUTES.map(([pattern, nav, page]) => [pattern.exec(path), nav, page]).find(
    ([match]) => match,
  );
  stopPage?.();
  stopPage = null;
  const run = ++rendering;
  if (found === undefined) {
    location.hash = '#/overview';
    return;
  }
  const [match, nav, page] = found;
  for (const link of document.querySelectorAll('[data-nav]'))
    link.classList.toggle('active', link.dataset.nav === nav);
  replace(main);
  try {
    const argument = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const stop = await page(argument)(main, query);
    if (run === rendering) stopPage = typeof stop === 'function' ? stop : null;
    else if (typeof stop === 'function') stop();
  } catch (error) {
    if (run === rendering) main.append(errorBox(error));
  }
}

window.addEventListener('hashchange', route);
route();
clusterId().then(
  (id) => replace(document.getElementById('cluster-id'), `cluster ${id}`),
  () => undefined,
);
