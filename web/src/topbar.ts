import { signOut } from './api.ts';
import { h, link, replace } from './dom.ts';
import { isAdmin } from './session.ts';
import type { SessionUser } from './types.ts';

/**
 * The bar above every page: the brand, the navigation of the signed-in user's area (a partner never sees an admin
 * entry; the server refuses admin data to partners anyway), who is signed in, and the sign-out button.
 */

export type Area = 'admin' | 'partner';

export interface NavigationItem {
  href: string;
  label: string;
  area: Area;
}

/** Where a user lands after signing in, and where the brand links to. */
export function homeOf(user: SessionUser): string {
  return isAdmin(user) ? '/app/admin/payouts' : '/app/partner';
}

export function renderTopbar(topbar: HTMLElement, input: { user: SessionUser | null; path: string; navigation: NavigationItem[]; navigate(path: string): void }): void {
  const { user, path, navigation, navigate } = input;
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
