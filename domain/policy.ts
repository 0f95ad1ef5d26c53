import { z } from 'zod';

/**
 * The versioned policy (SPEC section 12): every number the lifecycles use lives here, never as a literal in
 * workflow or activity code. This first version holds what the foundation needs; later issues extend it.
 */
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
});
export type Policy = z.infer<typeof policySchema>;

export const defaultPolicy: Policy = policySchema.parse({
  version: 1,
  sessions: { idleTimeoutMinutes: 30, absoluteTimeoutHours: 12 },
  bonuses: { postTimeoutSeconds: 30 },
});
