// Consumer groups: each group's state, assignor, coordinator and total lag (its lag summary).
import { brokerIdOf, list, mapLimited, v3 } from '../api.js';
import { badge, errorBox, formatNumber, h, replace, table } from '../dom.js';

const REFRESH_MS = 5000;

export function stateBadge(state) {
  if (state === 'STABLE') return badge(state, 'good');
  if (state === 'EMPTY') return badge(state);
  return badge(state, 'warn');
}

async function draw(listing) {
  const groups = await list(['consumer-groups']);
  const rows = await mapLimited(groups, 6, async (group) => {
    const summary = await v3
      .get(['consumer-groups', group.consumer_group_id, 'lag-summary'])
      .catch(() => null);
    return { ...group, totalLag: summary?.total_lag ?? null };
  });
  replace(
    listing,
    table(
      [
        [
          'Group',
          (g) => h('a', { href: `#/groups/${encodeURIComponent(g.consumer_group_id)}` }, g.consumer_group_id),
        ],
        ['State', (g) => stateBadge(g.state)],
        ['Assignor', (g) => g.partition_assignor || '—'],
        ['Coordinator', (g) => String(brokerIdOf(g.coordinator) ?? '—')],
        ['Total lag', (g) => formatNumber(g.totalLag), { num: true }],
      ],
      rows,
      { empty: 'No consumer groups yet.', rowProps: (g) => ({ 'data-group': g.consumer_group_id }) },
    ),
  );
}

export async function renderGroups(main) {
  const listing = h('div');
  replace(main, h('h1', {}, 'Consumer groups'), listing);
  await draw(listing);
  const timer = setInterval(
    () => draw(listing).catch((error) => replace(listing, errorBox(error))),
    REFRESH_MS,
  );
  return () => clearInterval(timer);
}
