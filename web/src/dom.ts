import { ApiFailure } from './api.ts';

/** A small DOM vocabulary: elements from data, never from HTML strings (so nothing the API returns is markup). */

type Child = Node | string | number | null | undefined | false | Child[];
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function replace(target: Element, ...children: Child[]): void {
  target.replaceChildren();
  append(target, children);
}

/** An internal link: the router intercepts clicks on `data-link` anchors. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href, 'data-link': true }, ...children);
}

export function formatMoney(amount: string | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined) return '—';
  // Grouping by inserting separators into the decimal string: no float ever touches a money amount.
  const negative = amount.startsWith('-');
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '−' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}${currency ? ` ${currency}` : ''}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().slice(0, 10) : '—';
}

/** "in 3 h 12 min" / "overdue by 5 min": the SLA countdown. */
export function countdown(dueIso: string, now = Date.now()): { text: string; overdue: boolean } {
  const milliseconds = new Date(dueIso).getTime() - now;
  const overdue = milliseconds < 0;
  let seconds = Math.floor(Math.abs(milliseconds) / 1000);
  const days = Math.floor(seconds / 86_400);
  seconds -= days * 86_400;
  const hours = Math.floor(seconds / 3_600);
  seconds -= hours * 3_600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts = days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${seconds} s`;
  return { text: overdue ? `overdue by ${parts}` : `in ${parts}`, overdue };
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}`, 'data-status': status }, status);
}

export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const container = document.getElementById('toasts');
  if (!container) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  container.append(item);
  setTimeout(() => item.remove(), 6_000);
}

/** A labelled form control: the label, the input, and the place its error goes (aria-describedby). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || `field-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : undefined;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null,
    h('small', { id: errorId, class: 'field-error', role: 'alert' }),
  );
}

/** Shows `message` under the control, or clears it. */
export function setFieldError(control: Element, message: string | null): void {
  const error = document.getElementById(`${control.id}-error`);
  if (error) error.textContent = message ?? '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

export function table(headers: (string | Node)[], rows: Node[], options: { caption?: string; empty?: string; className?: string } = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: options.className ?? '' },
      options.caption ? h('caption', {}, options.caption) : null,
      h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, rows.length > 0 ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, options.empty ?? 'Nothing here.'))),
    ),
  );
}

export function definitionList(entries: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, entries.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** What a page shows when the API refuses it: 403 is "Not allowed", anything else says what went wrong. */
export function failurePanel(error: unknown): HTMLElement {
  if (error instanceof ApiFailure && error.status === 403) {
    return h(
      'section',
      { class: 'panel refused', role: 'alert', 'data-testid': 'not-allowed' },
      h('h1', {}, 'Not allowed'),
      h('p', {}, 'Your account may not see this page. The server refused the request (403).'),
      h('p', { class: 'muted' }, error.message),
    );
  }
  if (error instanceof ApiFailure && error.status === 404) {
    return h('section', { class: 'panel', role: 'alert' }, h('h1', {}, 'Not found'), h('p', {}, error.message));
  }
  return h('section', { class: 'panel', role: 'alert' }, h('h1', {}, 'Something went wrong'), h('p', {}, error instanceof Error ? error.message : String(error)));
}

