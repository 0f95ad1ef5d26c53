import { ApiFailure } from './api.ts';
import { startHealthBanner } from './components/health-banner.ts';
import { failurePanel, h, link, replace } from './dom.ts';
import { currentSession, whenSignedOut } from './session.ts';
import { homeOf, renderTopbar, type Area, type NavigationItem } from './topbar.ts';
import type { SessionUser } from './types.ts';

/**
 * The router: history-API paths under /app, each a page function that renders into <main> and may return a
 * cleanup (timers). It knows no page: main.ts hands it the route table, the navigation and the sign-in page, so the
 * pages sit above it and reach it only through the context it gives them.
 */

export interface PageContext {
  root: HTMLElement;
  params: Record<string, string>;
  search: URLSearchParams;
  user: SessionUser;
  navigate(path: string): void;
}
export type Page = (context: PageContext) => Promise<(() => void) | void> | (() => void) | void;

/** A path such as '/app/admin/payouts/:id' (`:name` matches one segment, handed to the page as params.name). */
export interface RouteDefinition {
  path: string;
  area: Area;
  page: Page;
}

/** The sign-in page: renders into root and calls onSignedIn with the user once the server accepted them. */
export type LoginPage = (root: HTMLElement, onSignedIn: (user: SessionUser) => void) => void;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  area: Area;
}

function compile(definition: RouteDefinition): Route {
  const names: string[] = [];
  const pattern = new RegExp(`^${definition.path.replace(/:(\w+)/g, (_, name: string) => (names.push(name), '([^/]+)'))}/?$`);
  return { pattern, names, page: definition.page, area: definition.area };
}

export function startRouter(input: { routes: RouteDefinition[]; navigation: NavigationItem[]; loginPage: LoginPage }): void {
  const routes = input.routes.map(compile);
  const main = document.getElementById('main')!;
  const topbar = document.getElementById('topbar')!;
  let cleanup: (() => void) | void;
  let renderCount = 0;

  function navigate(path: string, options: { replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    void render();
  }

  async function render(): Promise<void> {
    const current = ++renderCount;
    if (cleanup) cleanup();
    cleanup = undefined;
    const path = location.pathname.replace(/\/+$/, '') || '/app';
    const session = currentSession();
    if (path === '/app/login' || !session) {
      renderTopbar(topbar, { user: null, path, navigation: input.navigation, navigate });
      if (path !== '/app/login') {
        history.replaceState(null, '', `/app/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      }
      replace(main);
      cleanup = input.loginPage(main, (user) => {
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
    renderTopbar(topbar, { user, path, navigation: input.navigation, navigate });
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
  // Above every page, the sign-in page included: whether the system is degraded, while it is.
  startHealthBanner(document.getElementById('system-health')!);
  void render();
}
