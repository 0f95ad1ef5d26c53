import { sql, type CommonQueryMethods } from 'slonik';
import { DomainError } from '../../domain/errors.ts';

/** Refuses as not_found (`partnerId`) when there is no partner with this id. */
export async function requirePartnerExists(connection: CommonQueryMethods, partnerId: string): Promise<void> {
  if (!(await connection.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId}`))) {
    throw new DomainError('not_found', 'not_found', `partner ${partnerId} does not exist`, 'partnerId');
  }
}
