import { z } from 'zod';
import { ranks, type Rank } from './network.ts';
import { payoutPolicySchema, defaultPayoutPolicy } from './payout-policy.ts';
import { durationText } from './duration.ts';
import {
  adjustmentPolicySchema, chargebackPolicySchema, debtPolicySchema, defaultAdjustmentPolicy, defaultChargebackPolicy,
  defaultDebtPolicy, defaultDisputePolicy, defaultFourEyesPolicy, defaultRefundPolicy, disputePolicySchema, fourEyesPolicySchema,
  refundPolicySchema,
} from './lifecycle-policy.ts';
import { defaultSignInPolicy, signInPolicySchema } from './sign-in-throttle.ts';
import { defaultPayRunPolicy, payRunPolicySchema } from './pay-run.ts';

export { durationMs, durationText } from './duration.ts';

/**
 * The versioned policy (docs/rules.md#policy): every number the lifecycles use lives here, never as a literal in
 * workflow or activity code. Versions are stored in `policy_versions`; a version applies to events that complete
 * from its effective time on, and a workflow captures the version it started under.
 */

/** A rate as a decimal fraction string: "0.14" is 14 %. */
const rate = z.string().regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, 'a decimal fraction between 0 and 1, e.g. "0.14"');
const usd = z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/, 'a USD amount, e.g. "5000.00"');
export const rateColumns = ['personalSales', 'entranceFee', 'passiveIncome'] as const;
export type RateColumn = (typeof rateColumns)[number];

const rankRates = z.object({ personalSales: rate, entranceFee: rate, passiveIncome: rate });

export const poolNames = ['POOL_5', 'POOL_6', 'POOL_7', 'POOL_8', 'POOL_9', 'POOL_10', 'POOL_11'] as const;
export type PoolName = (typeof poolNames)[number];

const poolSchema = z.object({
  pool: z.enum(poolNames),
  ranks: z.array(z.enum(ranks)).min(1),
  /** Share of the company's turnover for the period. */
  turnoverShare: rate,
  frequency: z.enum(['WEEKLY', 'MONTHLY']),
  /** Weekly volume each rank needs (weekly pools only); monthly pools qualify by rank alone. */
  volumeRequirement: z.record(z.enum(ranks), usd).optional(),
});
export type PoolPolicy = z.infer<typeof poolSchema>;

export const holdKinds = ['PRODUCT', 'INVESTMENT', 'PASSIVE', 'POOL'] as const;

export const commissionPolicySchema = z.object({
  /** Commissions are calculated and paid in this currency (docs/rules.md#fx-conversion). */
  currency: z.literal('USD'),
  rates: z.record(z.enum(ranks), rankRates).refine((table) => ranks.every((rank) => table[rank] !== undefined), {
    message: 'every rank needs its rates',
  }),
  holds: z.object({ PRODUCT: durationText, INVESTMENT: durationText, PASSIVE: durationText, POOL: durationText }),
  rounding: z.object({
    /** The percentage step: rate × base, to this many places, truncated (ROUND_DOWN). */
    percentageDecimals: z.number().int().min(2).max(8),
    /** The final amount, to this many places, floored (ROUND_FLOOR). */
    amountDecimals: z.number().int().min(0).max(4),
  }),
  pools: z.array(poolSchema),
  /** No direct leg counts for more than this share of a weekly pool's volume requirement (the 50 % rule). */
  branchRuleShare: rate,
  /**
   * How often the Schedule starts a release run; each run releases the holds that end before the next one at their
   * end time (docs/rules.md#release-cadence), so this sets how busy the Temporal UI looks, not how late a hold ends.
   */
  releaseSweepInterval: durationText,
  /** The pay batch (APPROVED → PAID into `available`) runs at this hour, UTC, every day. */
  payBatchHourUtc: z.number().int().min(0).max(23),
});
export type CommissionPolicy = z.infer<typeof commissionPolicySchema>;

export const policySchema = z.object({
  version: z.number().int().positive(),
  sessions: z.object({
    idleTimeoutMinutes: z.number().int().positive(),
    absoluteTimeoutHours: z.number().int().positive(),
  }),
  bonuses: z.object({
    /** Activity retry schedule for posting a bonus: infrastructure errors are retried, not refusals. */
    postTimeoutSeconds: z.number().int().positive(),
  }),
  commissions: commissionPolicySchema,
  /**
   * Payouts (issue #4). Version 1 was stored before this section existed: a document without it reads as the
   * default section, so existing databases keep parsing their stored versions.
   */
  payouts: payoutPolicySchema.default(defaultPayoutPolicy),
  /** Issue #5's lifecycles (domain/lifecycle-policy.ts); defaulted like `payouts` for versions stored before them. */
  refunds: refundPolicySchema.default(defaultRefundPolicy),
  debt: debtPolicySchema.default(defaultDebtPolicy),
  chargebacks: chargebackPolicySchema.default(defaultChargebackPolicy),
  disputes: disputePolicySchema.default(defaultDisputePolicy),
  adjustments: adjustmentPolicySchema.default(defaultAdjustmentPolicy),
  /** Sign-in throttling and the step-up limit (issue #16); defaulted for versions stored before it. */
  signIn: signInPolicySchema.default(defaultSignInPolicy),
  /** Issue #16's four eyes (domain/lifecycle-policy.ts); defaulted for versions stored before it. */
  fourEyes: fourEyesPolicySchema.default(defaultFourEyesPolicy),
  /** Issue #17's pay runs (domain/pay-run.ts): run-level approval limits and the fan-out; defaulted for versions stored before it. */
  payRuns: payRunPolicySchema.default(defaultPayRunPolicy),
});
export type Policy = z.infer<typeof policySchema>;

/** The rate table in docs/rules.md#rate-table: personal sales, entrance fee, passive income, by rank. */
const rateTable: Record<Rank, [string, string, string]> = {
  '0': ['0.03', '0.105', '0'],
  '1': ['0.05', '0.11', '0.05'],
  '2': ['0.08', '0.115', '0.08'],
  '3': ['0.10', '0.12', '0.10'],
  '4': ['0.12', '0.125', '0.12'],
  '4_PRO': ['0.13', '0.13', '0.13'],
  '5': ['0.14', '0.135', '0.14'],
  '5_PRO': ['0.15', '0.14', '0.15'],
  '6': ['0.16', '0.145', '0.16'],
  '6_PRO': ['0.165', '0.15', '0.165'],
  '7': ['0.17', '0.155', '0.17'],
  '7_PRO': ['0.175', '0.16', '0.175'],
  '8': ['0.18', '0.165', '0.18'],
  '8_PRO': ['0.185', '0.17', '0.185'],
  '9': ['0.19', '0.175', '0.19'],
  '9_PRO': ['0.1925', '0.18', '0.1925'],
  '10': ['0.195', '0.185', '0.195'],
  '10_PRO': ['0.1975', '0.19', '0.1975'],
  '11': ['0.20', '0.195', '0.20'],
  '11_PRO': ['0.20', '0.20', '0.20'],
};

export const defaultPolicy: Policy = policySchema.parse({
  version: 1,
  sessions: { idleTimeoutMinutes: 30, absoluteTimeoutHours: 12 },
  bonuses: { postTimeoutSeconds: 30 },
  commissions: {
    currency: 'USD',
    rates: Object.fromEntries(
      ranks.map((rank) => {
        const [personalSales, entranceFee, passiveIncome] = rateTable[rank];
        return [rank, { personalSales, entranceFee, passiveIncome }];
      }),
    ),
    holds: { PRODUCT: '14d', INVESTMENT: '7d', PASSIVE: '7d', POOL: '0d' },
    rounding: { percentageDecimals: 4, amountDecimals: 2 },
    pools: [
      { pool: 'POOL_5', ranks: ['5', '5_PRO'], turnoverShare: '0.01', frequency: 'WEEKLY', volumeRequirement: { '5': '5000', '5_PRO': '10000' } },
      { pool: 'POOL_6', ranks: ['6', '6_PRO'], turnoverShare: '0.005', frequency: 'WEEKLY', volumeRequirement: { '6': '20000', '6_PRO': '30000' } },
      { pool: 'POOL_7', ranks: ['7', '7_PRO'], turnoverShare: '0.005', frequency: 'WEEKLY', volumeRequirement: { '7': '45000', '7_PRO': '60000' } },
      { pool: 'POOL_8', ranks: ['8', '8_PRO'], turnoverShare: '0.005', frequency: 'WEEKLY', volumeRequirement: { '8': '90000', '8_PRO': '120000' } },
      { pool: 'POOL_9', ranks: ['9', '9_PRO'], turnoverShare: '0.01', frequency: 'MONTHLY' },
      { pool: 'POOL_10', ranks: ['10', '10_PRO'], turnoverShare: '0.01', frequency: 'MONTHLY' },
      { pool: 'POOL_11', ranks: ['11', '11_PRO'], turnoverShare: '0.01', frequency: 'MONTHLY' },
    ],
    branchRuleShare: '0.5',
    releaseSweepInterval: '1h',
    payBatchHourUtc: 2,
  },
  payouts: defaultPayoutPolicy,
  refunds: defaultRefundPolicy,
  debt: defaultDebtPolicy,
  chargebacks: defaultChargebackPolicy,
  disputes: defaultDisputePolicy,
  adjustments: defaultAdjustmentPolicy,
  signIn: defaultSignInPolicy,
});
