/** Ranks in ascending order (the rate table in docs/rules.md#rate-table): 0 … 3, then each of 4 … 11 and its _PRO step. */
export const ranks = [
  '0', '1', '2', '3', '4', '4_PRO', '5', '5_PRO', '6', '6_PRO', '7', '7_PRO',
  '8', '8_PRO', '9', '9_PRO', '10', '10_PRO', '11', '11_PRO',
] as const;
export type Rank = (typeof ranks)[number];

export const partnerStatuses = ['ACTIVE', 'SUSPENDED', 'TERMINATED'] as const;
export type PartnerStatus = (typeof partnerStatuses)[number];

export const kycStatuses = ['APPROVED', 'PENDING', 'REJECTED'] as const;
export type KycStatus = (typeof kycStatuses)[number];
