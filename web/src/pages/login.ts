import { ApiFailure, signIn } from '../api.ts';
import { field, h, replace, setFieldError } from '../dom.ts';
import { totpInput } from '../dialog.ts';
import type { SessionUser } from '../types.ts';

/**
 * Sign-in: email and password; admins add the TOTP code from their authenticator in the same form. The server
 * checks them together and answers every failure alike (`invalid_credentials`), so the page cannot say which part
 * was wrong; after repeated failures it asks to wait (`sign_in_delayed`, 429 with Retry-After).
 */
export function loginPage(root: HTMLElement, onSignedIn: (user: SessionUser) => void): void {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const totp = totpInput();
  totp.required = false;
  const totpField = field('TOTP code (admins)', totp, 'Admins, and partners who enrolled TOTP: the six digits your authenticator shows now. Otherwise leave it empty.');
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'panel narrow', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in'),
    field('Email', email),
    field('Password', password),
    totpField,
    formError,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    for (const control of [email, password, totp]) setFieldError(control, null);
    if (!email.value.trim()) return setFieldError(email, 'Enter your email address.');
    if (!password.value) return setFieldError(password, 'Enter your password.');
    const code = totp.value.trim();
    if (code && !/^\d{6}$/.test(code)) return setFieldError(totp, 'Six digits.');
    submit.disabled = true;
    try {
      const user = await signIn({ email: email.value.trim(), password: password.value, ...(code ? { totp: code } : {}) });
      onSignedIn(user);
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'invalid_credentials') {
        formError.textContent = 'Email, password or TOTP code is wrong. Admins, and partners who enrolled TOTP: enter the code your authenticator shows now.';
      } else if (error instanceof ApiFailure && error.code === 'sign_in_delayed') {
        // "too many failed sign-ins: try again in 4 s"
        formError.textContent = `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
      } else {
        formError.textContent = error instanceof Error ? error.message : String(error);
      }
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
  email.focus();
}
