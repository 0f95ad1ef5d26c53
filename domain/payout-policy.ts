import { z } from 'zod';
import { adminRoles } from './access.ts';
import { ranks } from './network.ts';

/**
 * The payouts section of the policy (docs/rules.md#payouts): payment methods with their detail fields and fees, the approval
 * chain by RUB-equivalent amount, the review checklist's settings, priorities and SLAs. Kept in its own module
 * so domain/policy.ts only mounts it.
 */

/** A non-negative decimal amount as a string ("50000", "1.50"). */
const amountText = z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,8})?$/, 'a non-negative decimal amount, e.g. "50000.00"');

const detailFieldSchema = z.object({
  /** The key in `paymentDetails` (and in API errors: `body.paymentDetails.<name>`). */
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'letters and digits, starting with a letter'),
  label: z.string().min(1),
  /** A regular expression the whole value must match (anchored by the validator). */
  pattern: z.string().refine((pattern) => {
    try {
      new RegExp(pattern, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression'),
  required: z.boolean(),
});
export type PaymentDetailField = z.infer<typeof detailFieldSchema>;

export const paymentMethodSchema = z.object({
  id: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'upper-case letters, digits and _'),
  name: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3,5}$/),
  fields: z.array(detailFieldSchema),
  /** The platform's fee in per cent of the amount ("1.5" is 1.5 %), at least `minFee`. */
  feePercent: z.string().regex(/^(100|\d{1,2})(\.\d{1,4})?$/, 'a percentage such as "1.5"'),
  minFee: amountText,
  minPayout: amountText,
  /**
   * The non-regular payment in docs/rules.md#payout-fees: a payout marked non-regular (off the schedule, or below `minPayout`) costs this
   * percentage of the amount on top of the fee. Defaulted for policies stored before it existed.
   */
  nonRegularSurchargePercent: z.string().regex(/^(100|\d{1,2})(\.\d{1,4})?$/, 'a percentage such as "5"').default('5'),
  processing: z.enum(['MANUAL', 'AUTOMATIC']),
});
export type PaymentMethod = z.infer<typeof paymentMethodSchema>;

const approvingRoles = z.array(z.enum(adminRoles)).min(1);

/** One tier of the chain: payouts up to `maxAmountRub` (inclusive; null = no upper bound) need every step. */
const approvalTierSchema = z.object({
  maxAmountRub: amountText.nullable(),
  /** Each step is one approval by a distinct person holding one of the step's roles. */
  steps: z.array(z.object({ roles: approvingRoles })).min(1),
});
export type ApprovalTier = z.infer<typeof approvalTierSchema>;

export const payoutPriorities = ['HIGH', 'NORMAL', 'REVIEW'] as const;
export type PayoutPriority = (typeof payoutPriorities)[number];

/**
 * The payment schedule (docs/rules.md#payment-schedule): payouts are made *on* payment dates (days of the month; a day the
 * month lacks is its last day), for what cleared its hold by the payment date (00:00 UTC) minus `holdDays`; the
 * run starts at `runHourUtc` on each payment date, after the daily pay batch. Partners below the method's
 * minimum are listed but not paid unless `includeBelowMinimum`. Defaulted, so stored versions still parse.
 */
const payoutScheduleSchema = z.object({
  enabled: z.boolean(),
  paymentDays: z
    .array(z.number().int().min(1).max(31))
    .min(1)
    .refine((days) => new Set(days).size === days.length, 'payment days must be distinct'),
  holdDays: z.number().int().min(0).max(366),
  includeBelowMinimum: z.boolean(),
  runHourUtc: z.number().int().min(0).max(23),
});
export type PayoutSchedulePolicy = z.infer<typeof payoutScheduleSchema>;
export const defaultPayoutSchedule: PayoutSchedulePolicy = { enabled: false, paymentDays: [1, 15], holdDays: 0, includeBelowMinimum: false, runHourUtc: 6 };

const automaticProcessingSchema = z.object({
  maxAttempts: z.number().int().min(1).max(10),
  retryBackoffSeconds: z.number().int().min(1),
  resultTimeoutMinutes: z.number().int().min(1),
  /** While processing is paused or the partner frozen (docs/rules.md#emergency-switches), an approved payout looks again this often. */
  switchRecheckMinutes: z.number().int().min(1).default(5),
});
const defaultAutomaticProcessing = { maxAttempts: 3, retryBackoffSeconds: 60, resultTimeoutMinutes: 10, switchRecheckMinutes: 5 };

/**
 * The "Pending" step in docs/rules.md#partner-validation (AWAITING_PARTNER in docs/rules.md#payout-statuses): once the checklist passes, the partner confirms the amount
 * and payment details (and, with `invoiceRequired`, uploads an invoice first) before the approval chain starts. A
 * payout the partner leaves alone for `waitDays` is cancelled and its reserve returned. `waitSeconds`, when set,
 * replaces `waitDays` (tests and staging need a wait shorter than a day). Off by default, so policy versions stored
 * before it parse and behave as before; an invoice can only be required together with the validation.
 */
const partnerValidationSchema = z
  .object({
    required: z.boolean(),
    invoiceRequired: z.boolean(),
    waitDays: z.number().int().min(1).max(366),
    waitSeconds: z.number().int().min(1).max(31_622_400).optional(),
  })
  .refine((validation) => validation.required || !validation.invoiceRequired, {
    message: 'an invoice can only be required when partner validation is required',
    path: ['invoiceRequired'],
  });
export type PartnerValidationPolicy = z.infer<typeof partnerValidationSchema>;
export const defaultPartnerValidation: PartnerValidationPolicy = { required: false, invoiceRequired: false, waitDays: 14 };

/**
 * docs/rules.md#details-change-controls (issue #16): a change of a partner's saved payment details is an account
 * takeover's first move and an insider's way to redirect a payout. For `windowDays` after an admin changed a
 * partner's details, that admin may not approve the partner's payouts; a payout to details changed (not first set)
 * within `windowDays` goes to at least the approval tier at index `minimumTier` (0 = the first tier; 1 = the senior
 * admin tier of the default chain). A partner whose available balances exceed `partnerTotpRequiredAboveRub`
 * (RUB-equivalent; null = never) must enrol TOTP before changing details or requesting a payout. Defaulted, so
 * policy versions stored before it parse and get the rule.
 */
const detailsChangeSchema = z.object({
  windowDays: z.number().int().min(0).max(366),
  minimumTier: z.number().int().min(0).max(20),
  partnerTotpRequiredAboveRub: amountText.nullable(),
});
export type DetailsChangePolicy = z.infer<typeof detailsChangeSchema>;
export const defaultDetailsChange: DetailsChangePolicy = { windowDays: 7, minimumTier: 1, partnerTotpRequiredAboveRub: null };

export const payoutPolicySchema = z.object({
  methods: z.array(paymentMethodSchema).min(1),
  approvalChain: z
    .array(approvalTierSchema)
    .min(1)
    .refine((tiers) => tiers.at(-1)!.maxAmountRub === null, 'the last tier must have no upper bound (maxAmountRub: null)')
    .refine(
      (tiers) => tiers.slice(0, -1).every((tier, index) => tier.maxAmountRub !== null && (index === 0 || Number(tier.maxAmountRub) > Number(tiers[index - 1]!.maxAmountRub))),
      'tiers must be in ascending order of maxAmountRub',
    ),
  checklist: z.object({
    /** docs/rules.md#payout-checklist: the first payout at least this many days after joining (else HELD). */
    minimumAccountAgeDays: z.number().int().min(0),
    /** Above this RUB-equivalent a request is REJECTED with LIMIT_EXCEEDED. */
    perRequestLimitRub: amountText,
    /** A HELD payout re-runs its checklist this often, even without an admin's release. */
    heldRecheckMinutes: z.number().int().positive(),
    /**
     * docs/rules.md#payout-checklist: "within daily cap (queue for the next day)": the partner's payouts requested on one UTC day may
     * not exceed this RUB-equivalent; the one that would is HELD until the next day's re-check. Defaulted (like the
     * other checks below), so policy versions stored before them still parse.
     */
    dailyCapRub: amountText.default('2000000'),
    /** docs/rules.md#payout-checklist: "velocity (hold for review)": more than this many payout requests within `velocityWindowDays`. */
    velocityMaxRequests: z.number().int().positive().default(5),
    velocityWindowDays: z.number().int().positive().default(7),
    /**
     * docs/rules.md#payout-checklist: "unusual amount for this partner (flag)": above `unusualAmountFactor` × the partner's average
     * completed payout in the currency, once they have at least `unusualAmountMinHistory` of them. A flag is
     * recorded for the approvers; it stops nothing.
     */
    unusualAmountFactor: z.string().regex(/^[1-9]\d{0,3}(\.\d{1,2})?$/, 'a factor such as "3"').default('3'),
    unusualAmountMinHistory: z.number().int().positive().default(3),
  }),
  priority: z.object({
    /** docs/rules.md#payout-priority: top leader ranks below `highMaxAmountRub` are HIGH. */
    highRanks: z.array(z.enum(ranks)),
    highMaxAmountRub: amountText,
    /** Above this RUB-equivalent, or a partner younger than `newPartnerDays`, the payout is REVIEW. */
    reviewMinAmountRub: amountText,
    newPartnerDays: z.number().int().min(0),
  }),
  slaHours: z.object({ HIGH: z.number().int().positive(), NORMAL: z.number().int().positive(), REVIEW: z.number().int().positive() }),
  /** start-to-close timeout of each payout activity (infrastructure errors are retried). */
  activityTimeoutSeconds: z.number().int().positive(),
  /**
   * AUTOMATIC methods (docs/rules.md#payout-processing): attempts at the provider, the wait before an `auto` retry (doubled per further
   * attempt), and how long the workflow waits for the provider's webhook before asking the provider itself.
   * Defaulted, so policy versions stored before automatic processing still parse.
   */
  automatic: automaticProcessingSchema.default(defaultAutomaticProcessing),
  schedule: payoutScheduleSchema.default(defaultPayoutSchedule),
  partnerValidation: partnerValidationSchema.default(defaultPartnerValidation),
  detailsChange: detailsChangeSchema.default(defaultDetailsChange),
});
export type PayoutPolicy = z.infer<typeof payoutPolicySchema>;

const anyAdmin = ['admin', 'senior_admin', 'finance_manager', 'finance_director'] as const;

export const defaultPayoutPolicy: PayoutPolicy = payoutPolicySchema.parse({
  methods: [
    {
      id: 'BANK_TRANSFER',
      name: 'Bank transfer',
      currency: 'USD',
      fields: [
        { name: 'accountName', label: 'Account holder name', pattern: "^[\\p{L} .'-]{2,100}$", required: true },
        { name: 'accountNumber', label: 'Account number', pattern: '^[0-9]{4,34}$', required: true },
        { name: 'routingNumber', label: 'Routing number (ABA)', pattern: '^[0-9]{9}$', required: true },
      ],
      feePercent: '1',
      minFee: '5.00',
      minPayout: '50.00',
      processing: 'MANUAL',
    },
    {
      id: 'CRYPTO_WALLET',
      name: 'Crypto wallet (USDT)',
      currency: 'USDT',
      fields: [
        { name: 'walletAddress', label: 'Wallet address', pattern: '^[A-Za-z0-9]{26,64}$', required: true },
        { name: 'network', label: 'Network', pattern: '^(TRC20|ERC20|BEP20)$', required: true },
      ],
      feePercent: '0.5',
      minFee: '1.000000',
      minPayout: '20.000000',
      processing: 'MANUAL',
    },
    {
      id: 'YOOMONEY',
      name: 'YooMoney',
      currency: 'RUB',
      fields: [{ name: 'wallet', label: 'YooMoney wallet number', pattern: '^41001[0-9]{7,11}$', required: true }],
      feePercent: '2',
      minFee: '50.00',
      minPayout: '1000.00',
      processing: 'MANUAL',
    },
    {
      id: 'QIWI',
      name: 'QIWI Wallet',
      currency: 'RUB',
      fields: [{ name: 'phone', label: 'QIWI wallet (phone number, international format)', pattern: '^\\+[1-9][0-9]{9,14}$', required: true }],
      feePercent: '2.5',
      minFee: '50.00',
      minPayout: '1000.00',
      processing: 'MANUAL',
    },
    {
      id: 'WEBMONEY',
      name: 'WebMoney (WMZ)',
      currency: 'USD',
      fields: [{ name: 'purse', label: 'WMZ purse', pattern: '^Z[0-9]{12}$', required: true }],
      feePercent: '0.8',
      minFee: '1.00',
      minPayout: '20.00',
      processing: 'MANUAL',
    },
    {
      id: 'PAYQUICKER',
      name: 'PayQuicker',
      currency: 'USD',
      fields: [{ name: 'email', label: 'PayQuicker account e-mail', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', required: true }],
      feePercent: '1.5',
      minFee: '2.00',
      minPayout: '25.00',
      // Paid through the provider adapter once approved (docs/rules.md#payout-processing).
      processing: 'AUTOMATIC',
    },
  ],
  // docs/rules.md#payout-approval: 0–50,000 standard admin; 50,001–200,000 senior admin; 200,001–1,000,000 finance manager + senior
  // admin; above 1,000,000 finance director + finance manager. "Standard admin" is any approving admin role.
  approvalChain: [
    { maxAmountRub: '50000', steps: [{ roles: anyAdmin }] },
    { maxAmountRub: '200000', steps: [{ roles: ['senior_admin'] }] },
    { maxAmountRub: '1000000', steps: [{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }] },
    { maxAmountRub: null, steps: [{ roles: ['finance_director'] }, { roles: ['finance_manager'] }] },
  ],
  checklist: { minimumAccountAgeDays: 7, perRequestLimitRub: '5000000', heldRecheckMinutes: 60 },
  priority: { highRanks: ['11', '11_PRO'], highMaxAmountRub: '50000', reviewMinAmountRub: '500000', newPartnerDays: 30 },
  slaHours: { HIGH: 8, NORMAL: 48, REVIEW: 72 },
  activityTimeoutSeconds: 30,
});
