import { createRoute, z } from '@hono/zod-openapi';
import type { AdminRole } from '../../domain/access.ts';
import type { AdjustmentActor } from '../../domain/adjustment.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { requirePermission } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/** What the adjustment routes share: manual commissions, bulk adjustments and clawbacks (docs/rules.md#clawbacks). */

export const totpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
export const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
export const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed (permission, maker–checker, or approval tier)'),
};

export const decisionBody = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict().openapi('AdjustmentDecision');
export const rejectionBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict().openapi('AdjustmentRejection');

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
};
export const createdByQuery = z.string().uuid().optional().openapi({ description: 'The maker (a user id)' });

/** Every adjustment operation needs a session. */
export const route = <T extends Parameters<typeof createRoute>[0]>(definition: T) => createRoute({ security: bearerSecurity, ...definition });

export function actorOf(user: AuthenticatedUser, ip: string | null = null): AdjustmentActor {
  return { userId: user.id, role: user.role as AdminRole, ...(ip ? { ip } : {}) };
}

/** Adjustments are made and decided by admins only, each with the permission the action needs. */
export function requireAdjustmentAdmin(user: AuthenticatedUser, permission: 'adjustments.create' | 'adjustments.approve'): void {
  if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'only admins make adjustments');
  requirePermission(user, permission);
}
