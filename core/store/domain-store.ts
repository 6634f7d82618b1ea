import { createPublicKey } from 'node:crypto';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { SecretBox } from '../secret-box.js';
import type { SendingDomain } from '../domain.js';
import type { SqlClient } from './sql.js';
import { DEFAULT_ACCOUNT_ID } from './account-store.js';

/** A key to sign with. */
export interface SigningKey {
  domain: string;
  /** The account whose Bridges it signs for. */
  accountId: string;
  selector: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

/** Sending domains and their DKIM keys (private keys sealed at rest). */
export interface DomainStore {
  /** `accountId` defaults to the default account. */
  createDomain(input: {
    domain: string;
    selector: string;
    privateKeyPem: string;
    accountId?: string;
  }): Promise<SendingDomain>;
  /** Every domain (one account's with `accountId`). */
  listDomains(options?: { accountId?: string }): Promise<SendingDomain[]>;
  getDomain(id: string): Promise<SendingDomain | undefined>;
  deleteDomain(id: string): Promise<SendingDomain>;
  /** The key for a From domain (exact match), if any. */
  getSigningKey(domain: string): Promise<SigningKey | undefined>;
}

interface DomainRow {
  id: string;
  domain: string;
  selector: string;
  private_key_enc: string;
  public_key: string;
  account_id: string;
  created_at: Date;
}

const toDomain = (r: DomainRow): SendingDomain => ({
  id: r.id,
  domain: r.domain,
  selector: r.selector,
  publicKey: r.public_key,
  accountId: r.account_id,
  createdAt: r.created_at,
});

/** Creates the domain half of the store. */
export function createDomainStore(sql: SqlClient, box: SecretBox): DomainStore {
  return {
    async createDomain(input) {
      const publicKey = createPublicKey(input.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
      try {
        const { rows } = await sql.query<DomainRow>(
          `INSERT INTO domains (id, domain, selector, private_key_enc, public_key, account_id)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [
            newId('dom'),
            input.domain.toLowerCase(),
            input.selector,
            box.seal(input.privateKeyPem),
            publicKey,
            input.accountId ?? DEFAULT_ACCOUNT_ID,
          ],
        );
        if (!rows[0]) throw new Error('insert returned no row');
        return toDomain(rows[0]);
      } catch (err) {
        if ((err as { code?: unknown }).code === '23505') {
          throw new AppError('CONFLICT', `${input.domain} already has a key; delete it first to replace it`, {
            field: 'domain',
            cause: err,
          });
        }
        throw err;
      }
    },
    async listDomains(options = {}) {
      const { rows } =
        options.accountId === undefined
          ? await sql.query<DomainRow>('SELECT * FROM domains ORDER BY domain')
          : await sql.query<DomainRow>('SELECT * FROM domains WHERE account_id = $1 ORDER BY domain', [
              options.accountId,
            ]);
      return rows.map(toDomain);
    },
    async getDomain(id) {
      const { rows } = await sql.query<DomainRow>('SELECT * FROM domains WHERE id = $1', [id]);
      return rows[0] && toDomain(rows[0]);
    },
    async deleteDomain(id) {
      const { rows } = await sql.query<DomainRow>('DELETE FROM domains WHERE id = $1 RETURNING *', [id]);
      if (!rows[0]) throw new AppError('NOT_FOUND', `no domain ${id}`);
      return toDomain(rows[0]);
    },
    async getSigningKey(domain) {
      const { rows } = await sql.query<DomainRow>('SELECT * FROM domains WHERE domain = $1', [domain.toLowerCase()]);
      const r = rows[0];
      return (
        r && {
          domain: r.domain,
          accountId: r.account_id,
          selector: r.selector,
          privateKey: box.open(r.private_key_enc),
        }
      );
    },
  };
}
