import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import type { PartnerFreezeKind, PayoutSwitches } from '../../domain/ops-switches.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/**
 * The emergency switches of docs/rules.md#emergency-switches, kept in Postgres so every process sees
 * them and they survive restarts:
 *  - processing paused (system error), global;
 *  - a payment method forced to manual processing (provider outage);
 *  - a partner's payouts frozen (suspected fraud, balance discrepancy).
 * Each change is written with its audit record in one transaction: POLICY_CHANGE (target `ops_switch`) for the
 * first two, BALANCE_FREEZE / BALANCE_UNFREEZE (target `partner`) for the third. Setting a switch to the state it
 * is in already changes nothing and writes no record (`changed: false`), so a retried toggle is harmless.
 */

export interface SwitchState {
  active: boolean;
  /** The last change's reason, actor and time; null when the switch was never set. */
  reason: string | null;
  changedBy: string | null;
  changedAt: Date | null;
}

export interface MethodSwitchState extends SwitchState {
  methodId: string;
}

export interface PartnerFreezeState extends SwitchState {
  partnerId: string;
  kind: PartnerFreezeKind | null;
}

export class PartnerNotFoundForFreezeError extends DomainError {
  constructor(readonly partnerId: string) {
    super('not_found', 'not_found', `partner ${partnerId} does not exist`, 'partnerId');
  }
}

const switchRow = z.object({ active: z.boolean(), reason: z.string(), changed_by: z.string(), changed_at: z.date() });
const methodSwitchRow = switchRow.extend({ method_id: z.string() });
const freezeRow = z.object({
  partner_id: z.string(),
  frozen: z.boolean(),
  kind: z.enum(['FRAUD_SUSPECTED', 'BALANCE_DISCREPANCY']),
  reason: z.string(),
  changed_by: z.string(),
  changed_at: z.date(),
});
const payoutSwitchRow = z.object({ switch: z.string(), detail: z.string().nullable(), reason: z.string(), changed_by: z.string(), changed_at: z.date() });
const balanceRow = z.object({ bucket: z.string(), currency: z.string(), balance: z.string() });

const neverSet: SwitchState = { active: false, reason: null, changedBy: null, changedAt: null };
const toSwitchState = (row: z.infer<typeof switchRow>): SwitchState => ({
  active: row.active, reason: row.reason, changedBy: row.changed_by, changedAt: row.changed_at,
});
const toFreezeState = (row: z.infer<typeof freezeRow>): PartnerFreezeState => ({
  partnerId: row.partner_id, kind: row.kind, active: row.frozen, reason: row.reason, changedBy: row.changed_by, changedAt: row.changed_at,
});

/**
 * The switches that bear on one payout, in one query (three primary-key probes). Contract:
 *  - `connection`: any slonik connection; inside an activity's transaction it reads that transaction's view.
 *  - `methodId`: the payout's payment method id (policy `payouts.methods[].id`); `partnerId`: its partner.
 *  - Returns the current state; never throws for an unknown method or partner (nothing is set for them).
 *  - What each flag means for the lifecycle is documented on `PayoutSwitches` (domain/ops-switches.ts);
 *    `effectiveProcessing` and `mayStartProcessing` there turn it into decisions. A reader that must not race a
 *    concurrent toggle (e.g. just before sending to a provider) calls it in the transaction that records the
 *    step: a toggle committed after that read applies to the next step.
 */
export async function readPayoutSwitches(
  connection: CommonQueryMethods,
  input: { methodId: string; partnerId: string },
): Promise<PayoutSwitches> {
  const rows = await connection.any(sql.type(payoutSwitchRow)`
    SELECT switch, NULL::text AS detail, reason, changed_by, changed_at FROM ops_switches
    WHERE switch = 'PROCESSING_PAUSED' AND method_id = '' AND active
    UNION ALL
    SELECT switch, method_id, reason, changed_by, changed_at FROM ops_switches
    WHERE switch = 'METHOD_FORCE_MANUAL' AND method_id = ${input.methodId} AND active
    UNION ALL
    SELECT 'PARTNER_FROZEN', kind, reason, changed_by, changed_at FROM partner_freezes
    WHERE partner_id = ${input.partnerId} AND frozen`);
  const switches: PayoutSwitches = { processingPaused: false, methodForcedManual: false, partnerFrozen: false, reasons: [] };
  for (const row of rows) {
    const by = `by ${row.changed_by} at ${row.changed_at.toISOString()}: ${row.reason}`;
    if (row.switch === 'PROCESSING_PAUSED') {
      switches.processingPaused = true;
      switches.reasons.push(`payout processing paused ${by}`);
    } else if (row.switch === 'METHOD_FORCE_MANUAL') {
      switches.methodForcedManual = true;
      switches.reasons.push(`method ${input.methodId} switched to manual processing ${by}`);
    } else {
      switches.partnerFrozen = true;
      switches.reasons.push(`partner ${input.partnerId} frozen (${row.detail}) ${by}`);
    }
  }
  return switches;
}

export class OpsSwitchStore {
  constructor(readonly database: Database) {}

  async processing(connection: CommonQueryMethods = this.database): Promise<SwitchState> {
    const row = await connection.maybeOne(sql.type(switchRow)`
      SELECT active, reason, changed_by, changed_at FROM ops_switches WHERE switch = 'PROCESSING_PAUSED' AND method_id = ''`);
    return row ? toSwitchState(row) : neverSet;
  }

  /** Every method switch ever set (active or not), by method id. */
  async methods(connection: CommonQueryMethods = this.database): Promise<MethodSwitchState[]> {
    const rows = await connection.any(sql.type(methodSwitchRow)`
      SELECT method_id, active, reason, changed_by, changed_at FROM ops_switches
      WHERE switch = 'METHOD_FORCE_MANUAL' ORDER BY method_id`);
    return rows.map((row) => ({ methodId: row.method_id, ...toSwitchState(row) }));
  }

  /** Partners frozen now, longest frozen first. */
  async frozenPartners(limit: number, connection: CommonQueryMethods = this.database): Promise<PartnerFreezeState[]> {
    const rows = await connection.any(sql.type(freezeRow)`
      SELECT partner_id, frozen, kind, reason, changed_by, changed_at FROM partner_freezes
      WHERE frozen ORDER BY changed_at, partner_id LIMIT ${limit}`);
    return rows.map(toFreezeState);
  }

  async setProcessingPaused(input: { paused: boolean; reason: string; actor: string; ip?: string | null }): Promise<{ state: SwitchState; changed: boolean }> {
    return this.setSwitch({ switch: 'PROCESSING_PAUSED', methodId: '', active: input.paused, reason: input.reason, actor: input.actor, ip: input.ip });
  }

  async setMethodForceManual(input: { methodId: string; forceManual: boolean; reason: string; actor: string; ip?: string | null }): Promise<{ state: MethodSwitchState; changed: boolean }> {
    const result = await this.setSwitch({ switch: 'METHOD_FORCE_MANUAL', methodId: input.methodId, active: input.forceManual, reason: input.reason, actor: input.actor, ip: input.ip });
    return { state: { methodId: input.methodId, ...result.state }, changed: result.changed };
  }

  private async setSwitch(input: {
    switch: 'PROCESSING_PAUSED' | 'METHOD_FORCE_MANUAL';
    methodId: string;
    active: boolean;
    reason: string;
    actor: string;
    ip?: string | null;
  }): Promise<{ state: SwitchState; changed: boolean }> {
    if (!input.actor) throw new Error('a switch change needs an actor');
    return this.database.transaction(async (transaction) => {
      const row = await lockOrCreate(
        () => transaction.maybeOne(sql.type(switchRow)`
          SELECT active, reason, changed_by, changed_at FROM ops_switches
          WHERE switch = ${input.switch} AND method_id = ${input.methodId} FOR UPDATE`),
        input.active,
        () => transaction.maybeOne(sql.type(switchRow)`
          INSERT INTO ops_switches (switch, method_id, active, reason, changed_by)
          VALUES (${input.switch}, ${input.methodId}, ${input.active}, ${input.reason}, ${input.actor})
          ON CONFLICT (switch, method_id) DO NOTHING
          RETURNING active, reason, changed_by, changed_at`),
        () => transaction.one(sql.type(switchRow)`
          UPDATE ops_switches SET active = ${input.active}, reason = ${input.reason}, changed_by = ${input.actor}, changed_at = now()
          WHERE switch = ${input.switch} AND method_id = ${input.methodId}
          RETURNING active, reason, changed_by, changed_at`),
      );
      if (!row.changed) return { state: row.state ? toSwitchState(row.state) : neverSet, changed: false };
      await appendAuditRecord(transaction, {
        action: 'POLICY_CHANGE', actor: input.actor, targetType: 'ops_switch',
        targetId: input.switch === 'PROCESSING_PAUSED' ? 'processing' : `method:${input.methodId}`,
        reason: input.reason, ip: input.ip ?? null,
        details: { switch: input.switch, ...(input.methodId ? { methodId: input.methodId } : {}), active: input.active },
      });
      return { state: toSwitchState(row.state), changed: true };
    });
  }

  async partnerFreeze(partnerId: string, connection: CommonQueryMethods = this.database): Promise<PartnerFreezeState> {
    const row = await connection.maybeOne(sql.type(freezeRow)`
      SELECT partner_id, frozen, kind, reason, changed_by, changed_at FROM partner_freezes WHERE partner_id = ${partnerId}`);
    return row ? toFreezeState(row) : { partnerId, kind: null, ...neverSet };
  }

  /**
   * Freezes or unfreezes a partner's payouts. The audit record (BALANCE_FREEZE / BALANCE_UNFREEZE) carries the
   * partner's balances at that moment, so an investigation starts from the figures as they were. Freezing a frozen
   * partner changes nothing, whatever the kind: unfreeze first to record a different one.
   */
  async setPartnerFrozen(input: {
    partnerId: string;
    frozen: boolean;
    kind?: PartnerFreezeKind;
    reason: string;
    actor: string;
    ip?: string | null;
  }): Promise<{ state: PartnerFreezeState; changed: boolean }> {
    if (!input.actor) throw new Error('a freeze needs an actor');
    if (input.frozen && !input.kind) throw new Error('a freeze needs a kind');
    return this.database.transaction(async (transaction) => {
      const partner = await transaction.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${input.partnerId}`);
      if (!partner) throw new PartnerNotFoundForFreezeError(input.partnerId);
      const select = sql.fragment`partner_id, frozen, kind, reason, changed_by, changed_at`;
      const row = await lockOrCreate(
        () => transaction.maybeOne(sql.type(freezeRow)`
          SELECT ${select} FROM partner_freezes WHERE partner_id = ${input.partnerId} FOR UPDATE`),
        input.frozen,
        () => transaction.maybeOne(sql.type(freezeRow)`
          INSERT INTO partner_freezes (partner_id, frozen, kind, reason, changed_by)
          VALUES (${input.partnerId}, TRUE, ${input.kind!}, ${input.reason}, ${input.actor})
          ON CONFLICT (partner_id) DO NOTHING
          RETURNING ${select}`),
        // Unfreezing keeps the kind of the freeze it lifts, so the row still says what it was about.
        () => transaction.one(sql.type(freezeRow)`
          UPDATE partner_freezes SET frozen = ${input.frozen}, kind = ${input.frozen ? input.kind! : sql.fragment`kind`},
                 reason = ${input.reason}, changed_by = ${input.actor}, changed_at = now()
          WHERE partner_id = ${input.partnerId}
          RETURNING ${select}`),
        (current) => current.frozen,
      );
      if (!row.changed) {
        return { state: row.state ? toFreezeState(row.state) : { partnerId: input.partnerId, kind: null, ...neverSet }, changed: false };
      }
      const balances = await transaction.any(sql.type(balanceRow)`
        SELECT a.bucket, a.currency, sum(b.balance) AS balance
        FROM accounts a JOIN account_balances b ON b.account_id = a.id
        WHERE a.owner_type = 'partner' AND a.owner_id = ${input.partnerId}
        GROUP BY a.bucket, a.currency ORDER BY a.currency, a.bucket`);
      await appendAuditRecord(transaction, {
        action: input.frozen ? 'BALANCE_FREEZE' : 'BALANCE_UNFREEZE', actor: input.actor, targetType: 'partner',
        targetId: input.partnerId, reason: input.reason, ip: input.ip ?? null,
        details: {
          kind: row.state.kind,
          balances: balances.map((balance) => ({ bucket: balance.bucket, currency: balance.currency, balance: formatMoney(balance.balance, balance.currency) })),
        },
      });
      return { state: toFreezeState(row.state), changed: true };
    });
  }
}

/**
 * Locks a switch's row and applies the wanted state. A switch never set counts as off: switching it off changes
 * nothing, switching it on inserts its row. Two first-time writers race on the insert; the loser locks the
 * winner's row on its next pass (READ COMMITTED: the next statement sees the committed insert).
 */
async function lockOrCreate<Row extends object>(
  lock: () => Promise<Row | null>,
  wanted: boolean,
  insert: () => Promise<Row | null>,
  update: () => Promise<Row>,
  isActive: (row: Row) => boolean = (row) => (row as { active: boolean }).active,
): Promise<{ state: Row; changed: true } | { state: Row | null; changed: false }> {
  for (;;) {
    const current = await lock();
    if (current) {
      if (isActive(current) === wanted) return { state: current, changed: false };
      return { state: await update(), changed: true };
    }
    if (!wanted) return { state: null, changed: false };
    const inserted = await insert();
    if (inserted) return { state: inserted, changed: true };
  }
}
