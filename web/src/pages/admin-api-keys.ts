import { apiKeyRateLimit, apiKeyScopeNames, apiKeyScopes, type ApiKeyScope } from '../../../domain/api-keys.ts';
import { api } from '../api.ts';
import { formDialog, openDialog } from '../dialog.ts';
import { formatTime, h, replace, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { ResponseOf } from '../types.ts';

type ApiKey = ResponseOf<'/v1/api-keys', 'get'>['data'][number];

/**
 * API keys for machines (docs/rules.md#api-keys): every key with its scopes, last use and revocation; creating one
 * (shown once, in a dialog that says so) and revoking one, each with a fresh TOTP code. The server decides who may:
 * every admin sees the list, the roles with `api_keys.manage` create and revoke.
 */
export async function adminApiKeysPage(context: PageContext) {
  const { root } = context;
  const { data: keys } = await api.get('/v1/api-keys');
  document.title = 'API keys · ledgerflow';
  const reload = () => adminApiKeysPage(context);

  const createButton = h('button', { type: 'button', class: 'primary' }, 'New API key');
  createButton.addEventListener('click', async () => {
    const name = h('input', { type: 'text', maxlength: 100, required: true, placeholder: 'shop checkout' });
    const rate = h('input', { type: 'number', min: apiKeyRateLimit.minimumRequestsPerMinute, max: apiKeyRateLimit.maximumRequestsPerMinute, step: 1, value: String(apiKeyRateLimit.defaultRequestsPerMinute) });
    const scopeBoxes = apiKeyScopeNames.map((scope) => ({ scope, box: h('input', { type: 'checkbox', value: scope, checked: scope === 'events:write' }) }));
    const result: { created?: ResponseOf<'/v1/api-keys', 'post'> } = {};
    await formDialog({
      title: 'New API key',
      intro: 'A machine sends the key in the header Authorization: Bearer lf_…. It reaches only what its scopes open, and the key is shown once.',
      fields: [
        { name: 'name', label: 'Name (what the machine is)', control: name },
        // The first box is named `scopes`, so a refusal naming body.scopes shows next to it.
        ...scopeBoxes.map(({ scope, box }, index) => ({ name: index === 0 ? 'scopes' : `scope-${scope}`, label: `Scope ${scope}`, control: box, hint: apiKeyScopes[scope].description })),
        { name: 'requestsPerMinute', label: 'Calls per minute (rate limit)', control: rate },
      ],
      totp: true,
      submitLabel: 'Create key',
      submit: async (_values, totp) => {
        const scopes: ApiKeyScope[] = scopeBoxes.filter(({ box }) => box.checked).map(({ scope }) => scope);
        result.created = await api.post('/v1/api-keys', { body: { name: name.value, scopes, requestsPerMinute: Number(rate.value) }, totp });
      },
    });
    const shown = result.created;
    if (!shown) return;
    const keyField = h('input', { type: 'text', readonly: true, value: shown.key, class: 'mono', 'aria-label': 'The new API key', 'data-testid': 'new-api-key' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', () => {
      navigator.clipboard?.writeText(shown.key).then(() => toast('Copied.'), () => keyField.select());
    });
    const dialog = openDialog({
      title: `API key “${shown.name}”`,
      body: h(
        'div',
        {},
        h('p', { class: 'warning' }, 'Copy the key now: it is shown this once. Only a hash of it is kept, so it cannot be shown again.'),
        keyField,
        h('div', { class: 'actions' }, copy, h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, 'Done')),
      ),
      onClose: () => void reload(),
    });
  });

  const showCalls = async (key: ApiKey) => {
    const { data: calls } = await api.get('/v1/api-keys/{id}/calls', { params: { id: key.id }, query: { limit: 50 } });
    openDialog({
      title: `Calls of “${key.name}”`,
      body: table(
        ['When', 'Call', 'Answer', 'From'],
        calls.map((call) => h('tr', {}, h('td', {}, formatTime(call.calledAt)), h('td', { class: 'mono' }, `${call.method} ${call.path}`), h('td', { class: 'number' }, call.status), h('td', {}, call.ip ?? '—'))),
        { caption: 'The latest 50 calls, newest first', empty: 'No calls yet.' },
      ),
    });
  };

  const revoke = async (key: ApiKey) => {
    const done = await formDialog({
      title: `Revoke “${key.name}”`,
      intro: 'Its next call is refused. A revoked key cannot be restored; make a new one instead.',
      fields: [],
      totp: true,
      danger: true,
      submitLabel: 'Revoke',
      submit: async (_values, totp) => {
        await api.post('/v1/api-keys/{id}/revoke', { params: { id: key.id }, totp });
      },
    });
    if (done) {
      toast(`Key ${key.name} revoked.`);
      await reload();
    }
  };

  replace(
    root,
    h('h1', {}, 'API keys'),
    h('p', {}, 'Keys let a shop or an ERP send events and read reports without a person’s session. Every call is recorded with its key.'),
    h('div', { class: 'actions' }, createButton),
    table(
      ['Name', 'Key id', 'Scopes', 'Calls/min', 'Created', 'Last used', 'Status', ''],
      keys.map((key) =>
        h(
          'tr',
          { 'data-key-id': key.id },
          h('td', {}, key.name),
          h('td', { class: 'mono' }, `lf_${key.id}_…`),
          h('td', {}, key.scopes.join(', ')),
          h('td', { class: 'number' }, key.requestsPerMinute),
          h('td', {}, formatTime(key.createdAt), h('br'), h('span', { class: 'small' }, key.createdBy)),
          h('td', {}, key.lastUsedAt ? formatTime(key.lastUsedAt) : 'never'),
          h('td', {}, key.revokedAt ? h('span', {}, statusBadge('REVOKED'), ' ', formatTime(key.revokedAt)) : statusBadge('ACTIVE')),
          h(
            'td',
            {},
            h('button', { type: 'button', onclick: () => void showCalls(key).catch((error: unknown) => toast(String(error), 'error')) }, 'Calls'),
            ' ',
            key.revokedAt ? null : h('button', { type: 'button', class: 'danger', onclick: () => void revoke(key) }, 'Revoke'),
          ),
        ),
      ),
      { caption: 'API keys, newest first', empty: 'No API keys yet.' },
    ),
  );
}
