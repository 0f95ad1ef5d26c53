/**
 * The commission engine on a network of BENCH_PARTNERS (1,000,000) partners that includes two chains 10,000 deep:
 *
 *   (1) upline query at depth 10,000 (NetworkStore.upline: one row read, one index probe per ancestor);
 *   (2) commission lines/s of the pure calculation (domain/commission.ts) over chains sampled from the network;
 *   (3) order events/s end to end: HTTP POST /v1/events/bulk to the real API (Bun.serve, in this process) →
 *       validated, converted, recorded, calculated, posted to the ledger, audited, committed;
 *   (4) weekly pool qualification of every partner (subtree volumes with the 50 % branch rule).
 *
 *   npx bun bench/commissions.ts                          # embedded PostgreSQL in a temporary directory
 *   DATABASE_URL=postgres://… npx bun bench/commissions.ts   # an existing server (owner/superuser URL)
 *
 * Settings: BENCH_PARTNERS (1000000), BENCH_SECONDS (30) for (2) and (3), BENCH_CLIENTS (4) concurrent HTTP
 * clients, BENCH_BULK (1000) events per request, BENCH_DURABLE (1). The database `ledgerflow_commission_bench`
 * is dropped and recreated on every run. Prints a markdown table and writes it to bench/results/commissions.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { NetworkStore } from '../modules/network/network-store.ts';
import { loadPersonalVolumes, loadPoolCandidates, loadPoolNetwork } from '../modules/commissions/pool-store.ts';
import { createApp } from '../api/app.ts';
import { totpCode, totpStep } from '../modules/identity/totp.ts';
import { createApiDependencies } from '../api/dependencies.ts';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase, type Database } from '../db/pool.ts';
import { calculateChainCommissions, type ChainMember } from '../domain/commission.ts';
import type { PartnerStatus, Rank } from '../domain/network.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { lastCompletePeriod, planPools } from '../domain/pools.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.join(benchDirectory, 'results', 'commissions.md');
const databaseName = 'ledgerflow_commission_bench';

const partners = Math.floor(positiveNumber('BENCH_PARTNERS', 1_000_000));
const seconds = positiveNumber('BENCH_SECONDS', 30);
const clients = Math.floor(positiveNumber('BENCH_CLIENTS', 4));
const bulkSize = Math.floor(positiveNumber('BENCH_BULK', 1_000));
const durable = process.env.BENCH_DURABLE !== '0';
const chainDepth = 10_000;
const chains = 2;
/** Partners hanging under the bottom of each chain: their orders walk the whole chain. */
const leavesPerChain = 1_000;

interface Row {
  measure: string;
  result: string;
  goal: string;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  const server = await resolveServer('commission bench', durable);
  let database: Database | undefined;
  const owner = { client: undefined as pg.Client | undefined };
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, databaseName);
    await migrate(ownerUrl);
    owner.client = new pg.Client({ connectionString: ownerUrl });
    await owner.client.connect();
    const description = await describeServer(owner.client, server.label);
    console.error(`commission bench: ${description}`);

    const generation = await generateNetwork(owner.client);
    database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: clients + 2 });
    const rows: Row[] = [];

    rows.push(await measureUpline(database));
    rows.push(await measureCalculation(database));
    rows.push(...(await measureEndToEnd(database)));
    rows.push(await measurePoolQualification(database, owner.client));

    const table = [
      '| measure | result | goal |',
      '|---|---|---|',
      ...rows.map((row) => `| ${row.measure} | ${row.result} | ${row.goal} |`),
    ].join('\n');
    const report = [
      `# Commission engine benchmark`,
      '',
      `${new Date().toISOString()} · ${description} · ${os.cpus().length} cores, load average ${loadAverageAtStart.toFixed(2)} at start`,
      `Network: ${partners.toLocaleString('en-US')} partners, ${chains} chains ${chainDepth.toLocaleString('en-US')} deep (+${leavesPerChain} partners under each), generated in ${generation.toFixed(1)} s. ${clients} HTTP clients, ${bulkSize} events per request, ${seconds} s per timed workload.`,
      '',
      table,
      '',
      `Total run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. Command: \`npm run bench:commissions\`.`,
      '',
    ].join('\n');
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, report);
  } finally {
    await database?.end();
    await owner.client?.end();
    await server.stop();
  }
}

/**
 * The network: a root (rank 11_PRO), two chains of 10,000 under it (ranks 0–3, so an order at the bottom walks
 * all the way up before anyone reaches the top rate), a thousand partners under the bottom of each chain, and
 * the rest a random recursive tree (each partner sponsored by a uniformly chosen earlier one, ranks skewed low,
 * 5 % suspended). One INSERT in sponsor-first order; the BEFORE INSERT trigger fills each upline.
 */
async function generateNetwork(client: pg.Client): Promise<number> {
  const started = performance.now();
  const firstBushy = 2 + chains * chainDepth + chains * leavesPerChain;
  const id = (expression: string) => `'n' || lpad((${expression})::text, 7, '0')`;
  console.error(`commission bench: generating ${partners.toLocaleString('en-US')} partners…`);
  await client.query(`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    SELECT ${id('g')}, 'Partner ' || g,
      CASE
        WHEN g = 1 THEN NULL
        WHEN g < ${2 + chains * chainDepth} THEN CASE WHEN (g - 2) % ${chainDepth} = 0 THEN 'n0000001' ELSE ${id('g - 1')} END
        WHEN g < ${firstBushy} THEN ${id(`1 + ${chainDepth} * (1 + (g % ${chains}))`)}
        ELSE ${id(`CASE WHEN r = 0 THEN 1 ELSE ${firstBushy} + r - 1 END`)}
      END,
      CASE
        WHEN g = 1 THEN '11_PRO'
        WHEN g < ${2 + chains * chainDepth} THEN (ARRAY['0','1','2','3'])[1 + (g % 4)]
        ELSE (ARRAY['0','0','0','0','0','0','0','0','0','0','1','1','1','1','2','2','3','3','4','4_PRO','5','5_PRO',
                    '6','6_PRO','7','7_PRO','8','8_PRO','9','9_PRO','10','10_PRO','11','11_PRO'])[1 + floor(random() * 34)::int]
      END,
      CASE WHEN g >= ${firstBushy} AND random() < 0.05 THEN 'SUSPENDED' ELSE 'ACTIVE' END,
      'APPROVED', now() - interval '400 days'
    FROM (SELECT g, floor(random() * (g - ${firstBushy} + 1))::int AS r FROM generate_series(1, ${partners}) AS g) AS s
    ORDER BY g`);
  await client.query('ANALYZE');
  const elapsed = (performance.now() - started) / 1000;
  const { rows } = await client.query<{ max: number; size: string }>(`SELECT max(depth) AS max, pg_size_pretty(pg_total_relation_size('partners')) AS size FROM partners`);
  console.error(`commission bench: network generated in ${elapsed.toFixed(1)} s, max depth ${rows[0]!.max}, partners table ${rows[0]!.size}`);
  return elapsed;
}

const deepest = () => `n${String(2 + chains * chainDepth).padStart(7, '0')}`;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function measureUpline(database: Database): Promise<Row> {
  const store = new NetworkStore(database);
  const id = deepest();
  const timings: number[] = [];
  let length = 0;
  for (let run = 0; run < 105; run += 1) {
    const started = performance.now();
    const upline = await store.upline(id);
    const elapsed = performance.now() - started;
    length = upline.length;
    if (run >= 5) timings.push(elapsed);
  }
  if (length < chainDepth) throw new Error(`upline of ${id} has ${length} members, expected at least ${chainDepth}`);
  console.error(`commission bench: upline of ${length} members: median ${percentile(timings, 0.5).toFixed(2)} ms`);
  return {
    measure: `upline query at depth ${length.toLocaleString('en-US')} (NetworkStore.upline, 100 runs)`,
    result: `median ${percentile(timings, 0.5).toFixed(2)} ms, p95 ${percentile(timings, 0.95).toFixed(2)} ms`,
    goal: '< 10 ms',
  };
}

const memberRow = z.object({ id: z.string(), num: z.number(), rank: z.string(), status: z.string(), upline: z.array(z.number()) });

/** Chains of 2,000 random partners (deep ones included as often as they occur), then the calculation alone. */
async function measureCalculation(database: Database): Promise<Row> {
  const sellers = await database.any(sql.type(memberRow)`
    SELECT id, num, rank, status, upline FROM partners TABLESAMPLE SYSTEM_ROWS(2000)`).catch(async () =>
    database.any(sql.type(memberRow)`SELECT id, num, rank, status, upline FROM partners ORDER BY random() LIMIT 2000`));
  const wanted = [...new Set(sellers.flatMap((seller) => seller.upline))];
  const members = new Map<number, ChainMember>();
  for (let offset = 0; offset < wanted.length; offset += 50_000) {
    const rows = await database.any(sql.type(memberRow.omit({ upline: true }))`
      SELECT id, num, rank, status FROM partners WHERE num = ANY(${sql.array(wanted.slice(offset, offset + 50_000), 'int4')})`);
    for (const row of rows) members.set(row.num, { partnerId: row.id, rank: row.rank as Rank, status: row.status as PartnerStatus });
  }
  const chainsOfSellers = sellers.map((seller) => [
    { partnerId: seller.id, rank: seller.rank as Rank, status: seller.status as PartnerStatus },
    ...seller.upline.map((num) => members.get(num)!),
  ]);
  const policy = defaultPolicy.commissions;
  const bases = ['19.99', '100.00', '5000.00', '333.33', '12345.67'];
  let lines = 0;
  let events = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let index = 0; index < chainsOfSellers.length; index += 1) {
      lines += calculateChainCommissions({ sourceType: 'PRODUCT', base: bases[index % bases.length]!, repeatPurchase: false }, chainsOfSellers[index]!, policy).length;
      events += 1;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  console.error(`commission bench: calculation ${Math.round(lines / elapsed)} lines/s`);
  return {
    measure: `pure calculation (domain/commission.ts) over ${sellers.length.toLocaleString('en-US')} sampled chains`,
    result: `${Math.round(lines / elapsed).toLocaleString('en-US')} lines/s (${Math.round(events / elapsed).toLocaleString('en-US')} events/s, ${(lines / events).toFixed(2)} lines per event)`,
    goal: '—',
  };
}

async function measureEndToEnd(database: Database): Promise<Row[]> {
  const dependencies = createApiDependencies({
    database,
    // The event path never touches Temporal; a lazy connection is never opened.
    temporalConnection: Connection.lazy({ address: '127.0.0.1:1' }),
    namespace: 'default',
    taskQueue: 'bench',
    temporalUiUrl: null,
  });
  const user = await dependencies.identity.createUser({ email: 'bench-ingest@example.com', password: 'bench-ingest-password', role: 'admin' });
  const app = createApp(dependencies);
  const server = Bun.serve({ port: 0, fetch: app.fetch });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench-ingest@example.com', password: 'bench-ingest-password', totp: totpCode(user.totpSecret!, totpStep(new Date())) }),
    });
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

    let sequence = 0;
    const sellersSeen: string[] = [];
    const randomSeller = () => {
      // Every partner equally likely, so orders under the 10,000-deep chains occur as often as those partners do.
      const g = 1 + Math.floor(Math.random() * partners);
      const id = `n${String(g).padStart(7, '0')}`;
      sellersSeen.push(id);
      return id;
    };
    // Sellers who have been paid before: their ledger accounts exist, as for most sellers of a running business.
    const returningSeller = () => sellersSeen[Math.floor(Math.random() * sellersSeen.length)]!;
    let pickSeller = randomSeller;
    const amounts = ['19.99', '49.90', '100.00', '250.00', '1200.00', '5000.00'];
    const makeEvent = () => {
      sequence += 1;
      return {
        externalId: `bench-${sequence}`, kind: 'ORDER_COMPLETED', sourceId: `bench-order-${sequence}`,
        partnerId: sequence % 50 === 0 ? null : pickSeller(), completedAt: new Date().toISOString(),
        amount: amounts[sequence % amounts.length], currency: 'USD',
      };
    };

    const run = async (size: number, label: string): Promise<Row> => {
      let processed = 0;
      let commissions = 0;
      const latencies: number[] = [];
      const deadline = performance.now() + seconds * 1000;
      const started = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          const events = Array.from({ length: size }, makeEvent);
          const requestStarted = performance.now();
          const response = size === 1
            ? await fetch(`${base}/v1/events`, { method: 'POST', headers, body: JSON.stringify(events[0]) })
            : await fetch(`${base}/v1/events/bulk`, { method: 'POST', headers, body: JSON.stringify({ events }) });
          latencies.push(performance.now() - requestStarted);
          if (response.status !== 200 && response.status !== 201) throw new Error(`${label}: ${response.status} ${await response.text()}`);
          const body = (await response.json()) as { processed?: number; results?: { commissions?: unknown[] }[]; commissions?: unknown[] };
          processed += size === 1 ? 1 : body.processed!;
          commissions += size === 1 ? body.commissions!.length : body.results!.reduce((sum, result) => sum + (result.commissions?.length ?? 0), 0);
        }
      }));
      const elapsed = (performance.now() - started) / 1000;
      console.error(`commission bench: ${label}: ${Math.round(processed / elapsed)} orders/s`);
      return {
        measure: `order events end to end, ${label} (accepted → commissions committed in the ledger)`,
        result: `${Math.round(processed / elapsed).toLocaleString('en-US')} orders/s, ${Math.round(commissions / elapsed).toLocaleString('en-US')} commissions/s; request p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms`,
        goal: size === 1 ? '—' : '≥ 2,000 orders/s',
      };
    };
    const rows = [await run(bulkSize, `POST /v1/events/bulk × ${bulkSize}, random sellers (most paid for the first time: their accounts are created)`)];
    pickSeller = returningSeller;
    rows.push(await run(bulkSize, `POST /v1/events/bulk × ${bulkSize}, returning sellers (accounts exist)`));
    rows.push(await run(1, 'POST /v1/events one by one, returning sellers'));
    return rows;
  } finally {
    await server.stop(true);
  }
}

/** Weekly volumes for the week just ended, then qualification of every partner for pools 5–8. */
async function measurePoolQualification(database: Database, owner: pg.Client): Promise<Row> {
  // The events above completed now; move them into last week so the week has volume to qualify on.
  const period = lastCompletePeriod('WEEKLY', new Date());
  await owner.query(`UPDATE commission_events SET completed_at = $1::timestamptz + (random() * interval '6 days')`, [period.start.toISOString()]);
  const started = performance.now();
  const network = await loadPoolNetwork(database);
  const loaded = performance.now();
  const personalVolumeCents = await loadPersonalVolumes(database, network, period);
  const pools = defaultPolicy.commissions.pools.filter((pool) => pool.frequency === 'WEEKLY');
  const candidates = await loadPoolCandidates(database, period.end, pools.flatMap((pool) => pool.ranks));
  const plan = planPools({ pools, candidates, network, personalVolumeCents, branchRuleShare: defaultPolicy.commissions.branchRuleShare, currency: 'USD' });
  const finished = performance.now();
  const qualified = plan.reduce((sum, pool) => sum + pool.qualified.length, 0);
  console.error(`commission bench: pool qualification ${((finished - started) / 1000).toFixed(1)} s`);
  return {
    measure: `weekly pool qualification of ${partners.toLocaleString('en-US')} partners (branch volumes, 50 % rule)`,
    result: `${((finished - started) / 1000).toFixed(1)} s (network load ${((loaded - started) / 1000).toFixed(1)} s), ${candidates.length.toLocaleString('en-US')} candidates, ${qualified.toLocaleString('en-US')} qualified`,
    goal: '< 60 s',
  };
}

await main();
