import { ApiFailure, currentSession, isAdmin, signOut, whenSignedOut, type SessionUser } from './api.ts';
import { failurePanel, h, link, replace } from './dom.ts';
import { adminCommissionPage, adminCommissionsPage } from './pages/admin-commissions.ts';
import { adminPartnerPage, adminPartnersPage } from './pages/admin-partners.ts';
import { adminPayoutPage } from './pages/admin-payout.ts';
import { adminQueuePage } from './pages/admin-queue.ts';
import { adminExportsPage } from './pages/admin-exports.ts';
import { adminReportsPage } from './pages/admin-reports.ts';
import { bulkAdjustmentPage, bulkAdjustmentsPage } from './pages/bulk-adjustments.ts';
import { lifecyclePages } from './pages/lifecycles.ts';
import { loginPage } from './pages/login.ts';
import { partnerCommissionsPage, partnerHomePage } from './pages/partner-home.ts';
import { partnerPayoutPage, partnerPayoutsPage, partnerRequestPage } from './pages/partner-payouts.ts';

/**
 * The router: history-API paths under /app, each a page function that renders into <main> and may return a
 * cleanup (timers). The navigation is built from the same table, filtered by role, so a partner never sees an admin
 * entry; the server refuses admin data to partners anyway, and a page shows that refusal as "Not allowed".
 */

export interface PageContext {
  root: HTMLElement;
  params: Record<string, string>;
  search: URLSearchParams;
  user: SessionUser;
  navigate(path: string): void;
}
export type Page = (context: PageContext) => Promise<(() => void) | void> | (() => void) | void;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  area: 'admin' | 'partner';
}

const routes: Route[] = [];
function route(path: string, area: Route['area'], page: Page) {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, name: string) => (names.push(name), '([^/]+)'))}/?$`);
  routes.push({ pattern, names, page, area });
}

route('/app/admin/payouts', 'admin', adminQueuePage);
route('/app/admin/payouts/:id', 'admin', adminPayoutPage);
route('/app/admin/commissions', 'admin', adminCommissionsPage);
route('/app/admin/commissions/:id', 'admin', adminCommissionPage);
route('/app/admin/partners', 'admin', adminPartnersPage);
route('/app/admin/partners/:id', 'admin', adminPartnerPage);
route('/app/admin/exports', 'admin', adminExportsPage);
route('/app/admin/reports', 'admin', adminReportsPage);
route('/app/admin/refunds', 'admin', lifecyclePages.refunds);
route('/app/admin/refunds/:id', 'admin', lifecyclePages.refund);
route('/app/admin/chargebacks', 'admin', lifecyclePages.chargebacks);
route('/app/admin/chargebacks/:id', 'admin', lifecyclePages.chargeback);
route('/app/admin/disputes', 'admin', lifecyclePages.disputes);
route('/app/admin/disputes/:id', 'admin', lifecyclePages.dispute);
route('/app/admin/adjustments', 'admin', lifecyclePages.adjustments);
route('/app/admin/adjustments/:id', 'admin', lifecyclePages.adjustment);
route('/app/admin/bulk-adjustments', 'admin', bulkAdjustmentsPage);
route('/app/admin/bulk-adjustments/:id', 'admin', bulkAdjustmentPage);
route('/app/partner/disputes', 'partner', lifecyclePages.partnerDisputes);
route('/app/partner/disputes/:id', 'partner', lifecyclePages.partnerDispute);
route('/app/partner', 'partner', partnerHomePage);
route('/app/partner/commissions', 'partner', partnerCommissionsPage);
route('/app/partner/payouts', 'partner', partnerPayoutsPage);
route('/app/partner/payouts/new', 'partner', partnerRequestPage);
route('/app/partner/payouts/:id', 'partner', partnerPayoutPage);

/**
 * The navigation. New queues (refunds, chargebacks, disputes, adjustments) are added here as their APIs land: one
 * entry and one route each.
 */
const navigation: { href: string; label: string; area: Route['area'] }[] = [
  { href: '/app/admin/payouts', label: 'Payout queue', area: 'admin' },
  { href: '/app/admin/commissions', label: 'Commissions', area: 'admin' },
  { href: '/app/admin/partners', label: 'Partners', area: 'admin' },
  { href: '/app/admin/refunds', label: 'Refunds', area: 'admin' },
  { href: '/app/admin/chargebacks', label: 'Chargebacks', area: 'admin' },
  { href: '/app/admin/disputes', label: 'Disputes', area: 'admin' },
  { href: '/app/admin/adjustments', label: 'Adjustments', area: 'admin' },
  { href: '/app/admin/exports', label: 'Exports', area: 'admin' },
  { href: '/app/admin/reports', label: 'Charts', area: 'admin' },
  { href: '/app/partner', label: 'Balances', area: 'partner' },
  { href: '/app/partner/commissions', label: 'Commissions', area: 'partner' },
  { href: '/app/partner/payouts', label: 'Payouts', area: 'partner' },
  { href: '/app/partner/payouts/new', label: 'Request a payout', area: 'partner' },
  { href: '/app/partner/disputes', label: 'Disputes', area: 'partner' },
];

const main = document.getElementById('main')!;
const topbar = document.getElementById('topbar')!;
let cleanup: (() => void) | void;
let renderCount = 0;

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

function homeOf(user: SessionUser): string {
  return isAdmin(user) ? '/app/admin/payouts' : '/app/partner';
}

function renderTopbar(user: SessionUser | null, path: string): void {
  if (!user) {
    replace(topbar, h('span', { class: 'brand' }, 'ledgerflow'));
    return;
  }
  const area = isAdmin(user) ? 'admin' : 'partner';
  const menuId = 'primary-navigation';
  const toggle = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': menuId }, 'Menu');
  const nav = h(
    'nav',
    { id: menuId, 'aria-label': 'Main', class: 'nav' },
    h(
      'ul',
      {},
      navigation
        .filter((item) => item.area === area)
        .map((item) => {
          const active = path === item.href || (item.href !== '/app/partner' && path.startsWith(`${item.href}/`) && !navigation.some((other) => other.href === path && other !== item));
          const anchor = link(item.href, item.label);
          if (active) anchor.setAttribute('aria-current', 'page');
          return h('li', {}, anchor);
        }),
    ),
  );
  toggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  replace(
    topbar,
    h('span', { class: 'brand' }, link(homeOf(user), 'ledgerflow'), h('span', { class: 'area' }, isAdmin(user) ? 'Admin console' : 'Partner portal')),
    toggle,
    nav,
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'muted', 'data-testid': 'signed-in-as' }, `${user.email} · ${user.role.replaceAll('_', ' ')}`),
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            await signOut();
            navigate('/app/login');
          },
        },
        'Sign out',
      ),
    ),
  );
}

async function render(): Promise<void> {
  const current = ++renderCount;
  if (cleanup) cleanup();
  cleanup = undefined;
  const path = location.pathname.replace(/\/+$/, '') || '/app';
  const session = currentSession();
  if (path === '/app/login' || !session) {
    renderTopbar(null, path);
    if (path !== '/app/login') {
      history.replaceState(null, '', `/app/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
    replace(main);
    cleanup = loginPage(main, (user) => {
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/app/') && next !== '/app/login' ? next : homeOf(user), { replace: true });
    });
    document.title = 'Sign in · ledgerflow';
    return;
  }
  const user = session.user;
  if (path === '/app') {
    navigate(homeOf(user), { replace: true });
    return;
  }
  renderTopbar(user, path);
  const match = routes.map((candidate) => ({ candidate, result: candidate.pattern.exec(path) })).find((item) => item.result);
  replace(main);
  if (!match) {
    replace(main, h('section', { class: 'panel' }, h('h1', {}, 'No such page'), h('p', {}, link(homeOf(user), 'Back to the start'))));
    return;
  }
  const params = Object.fromEntries(match.candidate.names.map((name, index) => [name, decodeURIComponent(match.result![index + 1]!)]));
  // Each navigation renders into a container of its own: a page still loading when the user has moved on (the
  // partner's home after sign-in, say) then writes into a detached element instead of over the newer page.
  const container = h('div', { class: 'page' });
  replace(main, container);
  try {
    const result = await match.candidate.page({ root: container, params, search: new URLSearchParams(location.search), user, navigate });
    if (current !== renderCount) {
      if (result) result();
      return;
    }
    cleanup = result;
  } catch (error) {
    if (current !== renderCount) return;
    if (error instanceof ApiFailure && error.status === 401) return;
    replace(container, failurePanel(error));
  }
}

document.addEventListener('click', (event) => {
  const anchor = (event.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  document.getElementById('primary-navigation')?.classList.remove('open');
  navigate(anchor.pathname + anchor.search);
});
window.addEventListener('popstate', () => void render());
whenSignedOut(() => navigate('/app/login'));
void render();
