import { parseArgs } from 'node:util';
import { sql } from 'slonik';
import { z } from 'zod';
import { sealAuditRecords, verifyAuditLog } from '../modules/audit/audit-store.ts';
import { AuthError, IdentityStore } from '../modules/identity/identity.ts';
import { DomainError } from '../domain/errors.ts';
import { passwordMinLength } from '../domain/sign-in-throttle.ts';
import { isIP } from 'node:net';
import { totpCode, totpStep, totpUri } from '../modules/identity/totp.ts';
import { userRoles, type UserRole } from '../domain/access.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { applicationUrl, createDatabase, type Database } from '../db/pool.ts';
import { loadConfig } from '../stack/config.ts';
import { readStackState } from '../stack/state.ts';
import { runNetworkImport } from './network-import.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../modules/api-keys/api-key-store.ts';
import { apiKeyScopeNames } from '../domain/api-keys.ts';
import { reconcilableDay } from '../domain/reconciliation.ts';
import { runReconciliation } from '../modules/reconciliation/reconciliation-store.ts';
import { rebuildFindings } from '../modules/reconciliation/rebuild-check.ts';

const usage = `usage: ledgerflow <command>

  user create --email E --password P --role R [--partner-id ID]   create a user; prints JSON (admins get a TOTP secret)
  user disable --email E                                           disable a user and revoke their sessions
  user unlock --email E | user unlock E                            lift a user's sign-in lockout and delays (audited)
  user unlock --address IP                                         forget a client address's failed sign-ins
  audit verify                                                     check every audit record against the hash chain, and rebuild
                                                                   every balance from the postings (exit 1 on any finding)
  audit seal                                                       seal committed audit records into the chain now
  totp code --secret S [--next]                                    the current (or next) TOTP code for a secret, for trying the API
  network import FILE [--report ERRORS.ndjson]                     add partners from FILE (.csv or .ndjson), sponsors first;
                                                                   exit 2 when lines were rejected (listed in the report)
  api-key create --name N --scope S [--scope S …] [--requests-per-minute R]
                                                                   create an API key for a machine; prints JSON with the key,
                                                                   shown this once (scopes: ${apiKeyScopeNames.join(', ')})
  api-key list                                                     every API key with its scopes, last use and revocation
  api-key revoke ID                                                revoke an API key: its next call is refused
  reconcile DATE                                                   reconcile an ended UTC day (YYYY-MM-DD) now, or show the
                                                                   stored one; prints JSON; exit 1 when items need a finding

roles: ${userRoles.join(', ')}
The database is DATABASE_URL when set, else the one of the stack \`npm start\` runs from LEDGERFLOW_DATA_DIR.`;

class UsageError extends Error {}

async function openDatabase(): Promise<Database> {
  const config = loadConfig();
  const ownerUrl = config.DATABASE_URL ?? (await readStackState(config))?.databaseUrl;
  if (!ownerUrl) {
    throw new UsageError(`no running stack in ${config.dataDir} and DATABASE_URL is not set: start it with \`npm start\`, or set DATABASE_URL`);
  }
  return createDatabase(applicationUrl(ownerUrl, config.DATABASE_APP_URL), { maximumPoolSize: 2 });
}

async function withDatabase<T>(action: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase();
  try {
    return await action(database);
  } finally {
    await database.end();
  }
}

function required(values: Record<string, string | boolean | string[] | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      'partner-id': { type: 'string' },
      address: { type: 'string' },
      secret: { type: 'string' },
      next: { type: 'boolean' },
      report: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      'requests-per-minute': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // `user unlock <email>` takes the email as a positional too.
  const unlockEmail = positionals[0] === 'user' && positionals[1] === 'unlock' && positionals.length === 3 ? positionals[2] : undefined;
  const command = unlockEmail ? 'user unlock' : positionals.join(' ');
  if (positionals[0] === 'network' && positionals[1] === 'import' && !values.help) {
    const file = positionals[2];
    if (!file || positionals.length > 3) throw new UsageError('usage: ledgerflow network import <file.csv|file.ndjson> [--report errors.ndjson]');
    return runNetworkImport({ file, reportFile: values.report, openDatabase });
  }
  if (positionals[0] === 'api-key' && positionals[1] === 'revoke' && !values.help) {
    const id = positionals[2];
    if (!id || positionals.length > 3) throw new UsageError('usage: ledgerflow api-key revoke <id>');
    const revoked = await withDatabase((database) => revokeApiKey(database, { id, actor: 'system:cli' }));
    console.log(JSON.stringify(revoked, null, 2));
    return 0;
  }
  if (positionals[0] === 'reconcile' && !values.help) {
    const date = positionals[1];
    if (!date || positionals.length > 2) throw new UsageError('usage: ledgerflow reconcile <YYYY-MM-DD>');
    const day = reconcilableDay(date, new Date(), 'DATE');
    const { reconciliation, created } = await withDatabase((database) => runReconciliation(database, { day, requestedBy: null }));
    console.log(JSON.stringify({
      day, created, status: reconciliation.status, balanced: reconciliation.report.balanced,
      variance: reconciliation.report.variance.filter((line) => line.amount !== '0'), rebuildFindings: reconciliation.rebuildFindings,
      unexplained: reconciliation.unexplained,
    }, null, 2));
    return reconciliation.unexplained.length === 0 ? 0 : 1;
  }
  if (values.help || command === '') {
    console.log(usage);
    return 0;
  }
  switch (command) {
    case 'user create': {
      const role = required(values, 'role');
      if (!(userRoles as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${userRoles.join(', ')}`);
      const email = required(values, 'email');
      if (!z.string().email().safeParse(email).success) throw new UsageError('--email is not an email address');
      const password = required(values, 'password');
      if (password.length < passwordMinLength) throw new UsageError(`--password must be at least ${passwordMinLength} characters`);
      const partnerId = values['partner-id'];
      if ((role === 'partner') !== Boolean(partnerId)) {
        throw new UsageError(role === 'partner' ? '--partner-id is required for a partner' : '--partner-id is only for partners');
      }
      const user = await withDatabase(async (database) => {
        if (partnerId) {
          const exists = await database.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId}`);
          if (!exists) throw new UsageError(`--partner-id: partner ${partnerId} does not exist`);
        }
        return new IdentityStore(database, defaultPolicy).createUser({ email, password, role: role as UserRole, partnerId });
      });
      console.log(JSON.stringify({ ...user, totpUri: user.totpSecret ? totpUri(user.totpSecret, user.email) : null }, null, 2));
      return 0;
    }
    case 'user disable': {
      const email = required(values, 'email').toLowerCase();
      const disabled = await withDatabase(async (database) => {
        const id = await database.maybeOneFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM users WHERE email = ${email}`);
        if (!id) throw new UsageError(`no user with email ${email}`);
        return new IdentityStore(database, defaultPolicy).disableUser(id);
      });
      console.log(JSON.stringify({ email, disabled }));
      return 0;
    }
    case 'user unlock': {
      const address = values.address?.toLowerCase();
      if (address !== undefined) {
        if (unlockEmail || values.email) throw new UsageError('give --email or --address, not both');
        if (!isIP(address)) throw new UsageError('--address is not an IP address');
        const failuresCleared = await withDatabase((database) => new IdentityStore(database, defaultPolicy).unlockAddress(address, { actor: 'system:cli' }));
        console.log(JSON.stringify({ address, failuresCleared }));
        return 0;
      }
      const email = (unlockEmail ?? required(values, 'email')).toLowerCase();
      const unlocked = await withDatabase(async (database) => {
        const id = await database.maybeOneFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM users WHERE email = ${email}`);
        if (!id) throw new UsageError(`no user with email ${email}`);
        return new IdentityStore(database, defaultPolicy).unlockUser(id, { actor: 'system:cli' });
      });
      console.log(JSON.stringify(unlocked));
      return 0;
    }
    case 'audit verify': {
      // docs/rules.md#audit-trail: the chain, and the balances rebuilt from the postings (ledger_rebuild_findings).
      const { chain, rebuild } = await withDatabase(async (database) => {
        await sealAuditRecords(database);
        return { chain: await verifyAuditLog(database), rebuild: await rebuildFindings(database) };
      });
      console.log(JSON.stringify({ ...chain, balanceRebuild: { ok: rebuild.length === 0, findings: rebuild } }, null, 2));
      if (!chain.ok) console.error(`audit log broken at record ${chain.firstBrokenRecordId}: ${chain.problem}`);
      for (const finding of rebuild) console.error(`balance rebuild: ${finding.check} ${finding.subject} ${JSON.stringify(finding.detail)}`);
      return chain.ok && rebuild.length === 0 ? 0 : 1;
    }
    case 'audit seal': {
      const sealed = await withDatabase(sealAuditRecords);
      console.log(JSON.stringify({ sealed }));
      return 0;
    }
    case 'api-key create': {
      const name = required(values, 'name');
      const scopes = values.scope ?? [];
      if (scopes.length === 0) throw new UsageError(`--scope is required (one or more of ${apiKeyScopeNames.join(', ')})`);
      const rate = values['requests-per-minute'];
      if (rate !== undefined && !/^[1-9][0-9]{0,5}$/.test(rate)) throw new UsageError('--requests-per-minute must be a whole number');
      const created = await withDatabase((database) =>
        createApiKey(database, { name, scopes, requestsPerMinute: rate === undefined ? undefined : Number(rate), actor: 'system:cli' }),
      );
      console.log(JSON.stringify(created, null, 2));
      console.error('ledgerflow: the key is shown this once; send it as `Authorization: Bearer <key>`');
      return 0;
    }
    case 'api-key list': {
      console.log(JSON.stringify(await withDatabase(listApiKeys), null, 2));
      return 0;
    }
    case 'totp code': {
      const secret = required(values, 'secret');
      // A code is accepted once; --next gives the following step's code (accepted as clock drift) for a step-up.
      console.log(totpCode(secret, totpStep(new Date()) + (values.next ? 1 : 0)));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${usage}`);
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DomainError) {
      // A module's refusal names its field; the CLI names the option it came from.
      const option = { name: '--name', scopes: '--scope', requestsPerMinute: '--requests-per-minute', id: 'ID', DATE: 'DATE' }[error.field?.split('.')[0] ?? ''];
      console.error(`ledgerflow: ${option ? `${option}: ` : ''}${error.message}`);
    }
    else if (error instanceof UsageError || error instanceof AuthError) console.error(`ledgerflow: ${error.message}`);
    else console.error(`ledgerflow: ${(error as Error).message}`);
    process.exit(2);
  },
);
