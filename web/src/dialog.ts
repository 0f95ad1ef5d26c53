import { ApiFailure } from './api.ts';
import { field, h, setFieldError } from './dom.ts';

/**
 * A modal dialog that a keyboard user can work: labelled by its title (aria-labelledby), focus moves into it and is
 * trapped there (Tab and Shift+Tab wrap), Escape closes it, and focus returns to what opened it.
 */
export interface DialogHandle {
  element: HTMLElement;
  close(): void;
}

let dialogCount = 0;

export function openDialog(input: { title: string; body: Node; onClose?: () => void; describedBy?: string }): DialogHandle {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = `dialog-title-${++dialogCount}`;
  const panel = h(
    'div',
    { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, 'aria-describedby': input.describedBy },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, input.title), h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: () => close() }, '×')),
    input.body,
  );
  const backdrop = h('div', { class: 'backdrop' }, panel);
  const focusable = () =>
    [...panel.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])')].filter(
      (element) => element.offsetParent !== null || element === document.activeElement,
    );
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusable();
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !panel.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    document.removeEventListener('keydown', onKey, true);
    backdrop.remove();
    input.onClose?.();
    opener?.focus?.();
  };
  backdrop.addEventListener('mousedown', (event) => {
    if (event.target === backdrop) close();
  });
  document.addEventListener('keydown', onKey, true);
  document.body.append(backdrop);
  // The first field, or else the first button that is not the close button.
  const first = panel.querySelector<HTMLElement>('input, select, textarea') ?? focusable()[1] ?? focusable()[0];
  first?.focus();
  return { element: panel, close };
}

/** The six-digit code field of every step-up prompt. */
export function totpInput(): HTMLInputElement {
  return h('input', {
    name: 'totp',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
    required: true,
    'data-testid': 'totp',
  });
}

export interface FormDialogInput {
  title: string;
  intro?: Node | string;
  fields: { name: string; label: string; control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement; hint?: string }[];
  /** Adds the step-up TOTP prompt: every approval and money-moving action asks for a fresh code. */
  totp?: boolean;
  submitLabel: string;
  danger?: boolean;
  /** Runs the action; an ApiFailure naming a field shows next to it and keeps the dialog open. */
  submit(values: Record<string, string>, totp: string | undefined, controls: Record<string, Element>): Promise<void>;
}

/** A dialog with a form: fields, the TOTP prompt when asked, errors next to their fields; resolves true when done. */
export function formDialog(input: FormDialogInput): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const totp = input.totp ? totpInput() : null;
    const controls: Record<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement> = {};
    for (const item of input.fields) {
      item.control.name = item.name;
      controls[item.name] = item.control;
      item.control.addEventListener('input', () => setFieldError(item.control, null));
    }
    const formError = h('p', { class: 'form-error', role: 'alert' });
    const submitButton = h('button', { type: 'submit', class: input.danger ? 'danger' : 'primary' }, input.submitLabel);
    const form = h(
      'form',
      { novalidate: true },
      typeof input.intro === 'string' ? h('p', {}, input.intro) : input.intro,
      input.fields.map((item) => field(item.label, item.control, item.hint)),
      totp ? field('TOTP code from your authenticator', totp, 'Each code is accepted once; every approval asks for a fresh one.') : null,
      formError,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => handle.close() }, 'Cancel'), submitButton),
    );
    const handle = openDialog({
      title: input.title,
      body: form,
      onClose: () => resolve(done),
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      formError.textContent = '';
      for (const control of Object.values(controls)) setFieldError(control, null);
      if (totp) setFieldError(totp, null);
      const values = Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));
      if (totp && !/^\d{6}$/.test(totp.value.trim())) {
        setFieldError(totp, 'Enter the six digits your authenticator shows.');
        totp.focus();
        return;
      }
      submitButton.disabled = true;
      try {
        await input.submit(values, totp?.value.trim(), { ...controls, ...(totp ? { totp } : {}) });
        done = true;
        handle.close();
      } catch (error) {
        showFailure(error, { ...controls, ...(totp ? { 'X-TOTP-Code': totp, totp } : {}) }, formError);
      } finally {
        submitButton.disabled = false;
      }
    });
  });
}

/**
 * Puts an API error next to the field it names (`body.amount` → the control named `amount`, `X-TOTP-Code` → the
 * TOTP field), or in the form's own error line.
 */
export function showFailure(error: unknown, controls: Record<string, Element>, formError: Element): void {
  if (!(error instanceof ApiFailure)) {
    formError.textContent = error instanceof Error ? error.message : String(error);
    return;
  }
  const name = error.field?.replace(/^(body|query|params|headers)\./, '') ?? '';
  const leaf = name.split('.').at(-1) ?? '';
  const control = controls[name] ?? controls[leaf] ?? (error.field ? controls[error.field] : undefined);
  if (control) {
    setFieldError(control, error.message);
    (control as HTMLElement).focus();
  } else {
    formError.textContent = error.status === 403 ? `Not allowed: ${error.message}` : error.message;
  }
}

export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return formDialog({ title, intro: message, fields: [], submitLabel: confirmLabel, submit: async () => {} });
}
