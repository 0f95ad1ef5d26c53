import { ApiFailure, signIn } from '../api.ts';
import { field, h, replace, setFieldError } from '../dom.ts';
import { totpInput } from '../dialog.ts';
import type { SessionUser } from '../types.ts';

/**
 * Sign-in: email and password; admins add the TOTP code from their authenticator (the server answers
 * `totp_required` when an admin leaves it out, and the page then asks for it).
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
      if (error instanceof ApiFailure && (error.field === 'totp' || error.code === 'totp_required' || error.code === 'invalid_totp')) {
        setFieldError(totp, error.code === 'totp_required' ? 'This account signs in with a TOTP code: enter the six digits.' : error.message);
        totp.focus();
      } else if (error instanceof ApiFailure && error.code === 'invalid_credentials') {
        formError.textContent = 'Email or password is wrong.';
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
