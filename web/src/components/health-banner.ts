import { fetchHealth } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { Health } from '../types.ts';

/**
 * The banner over every page, signed in or not, while the system is degraded: the console asks /healthz every 15 s
 * (every 5 s while something is down, so the banner goes as soon as it is back) and says which component is down
 * and what that means for the person looking at the page. Nothing is shown while everything is up.
 */

const healthyIntervalMs = 15_000;
const degradedIntervalMs = 5_000;

/** What a component being down means, in the words of someone using the console. */
const consequences: Record<keyof Health['components'], string> = {
  postgres: 'the database is down: nothing can be read or saved',
  temporal: 'Temporal is down: payouts, refunds and the other lifecycles cannot start or move on',
  worker: 'no worker is running: payouts, refunds and the other lifecycles wait',
};

/** The banner's text for one answer of /healthz (null: no answer), or null when everything is up. */
export function degradedMessage(health: Health | null): string | null {
  if (!health) return 'The server does not answer. This page may show old data, and what you send may not arrive.';
  const down = (Object.keys(consequences) as (keyof Health['components'])[]).filter((name) => health.components[name]?.status === 'down');
  if (health.status === 'ok' && down.length === 0) return null;
  const reasons = down.length > 0 ? down.map((name) => consequences[name]) : ['a component is down'];
  return `The system is degraded: ${reasons.join('; ')}. This notice goes away once it is back.`;
}

/** Keeps `container` showing the banner while the system is degraded; returns a function that stops the checks. */
export function startHealthBanner(container: HTMLElement): () => void {
  let shown: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const check = async () => {
    const message = degradedMessage(await fetchHealth());
    if (stopped) return;
    // Rewritten only when it changes, so that a screen reader announces it once.
    if (message !== shown) {
      shown = message;
      if (message === null) replace(container);
      else replace(container, h('div', { class: 'health-banner', role: 'alert', 'data-testid': 'health-banner' }, message));
    }
    timer = setTimeout(() => void check(), message === null ? healthyIntervalMs : degradedIntervalMs);
  };
  void check();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
