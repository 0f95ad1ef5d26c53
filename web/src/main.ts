import { adminApiKeysPage } from './pages/admin-api-keys.ts';
import { adminCommissionPage, adminCommissionsPage } from './pages/admin-commissions.ts';
import { adminExportsPage } from './pages/admin-exports.ts';
import { adminPartnerPage, adminPartnersPage } from './pages/admin-partners.ts';
import { adminPayoutPage } from './pages/admin-payout.ts';
import { adminQueuePage } from './pages/admin-queue.ts';
import { adminReportsPage } from './pages/admin-reports.ts';
import { adminSummaryReportsPage } from './pages/admin-summary-reports.ts';
import { bulkAdjustmentPage, bulkAdjustmentsPage } from './pages/bulk-adjustments.ts';
import { lifecyclePages } from './pages/lifecycles.ts';
import { loginPage } from './pages/login.ts';
import { partnerCommissionsPage, partnerHomePage } from './pages/partner-home.ts';
import { partnerPayoutPage, partnerPayoutsPage, partnerRequestPage } from './pages/partner-payouts.ts';
import { payRunPage, payRunsPage } from './pages/pay-runs.ts';
import { auditPage, auditsPage } from './pages/audits.ts';
import { paymentFilePage, paymentFilesPage } from './pages/payment-files.ts';
import { payoutSchedulePage } from './pages/payout-schedule.ts';
import { reconciliationPage, reconciliationsPage } from './pages/reconciliations.ts';
import { poolsPage } from './pages/pools.ts';
import { startRouter } from './router.ts';

/**
 * The console's entry point: which page answers which path, and the navigation. Nothing imports this module; the
 * router (router.ts) and everything the pages share sit below the pages, so the import graph has no cycle
 * (test/web/import-graph.test.ts).
 */

startRouter({
  loginPage,
  routes: [
    { path: '/app/admin/payouts', area: 'admin', page: adminQueuePage },
    { path: '/app/admin/payouts/:id', area: 'admin', page: adminPayoutPage },
    { path: '/app/admin/commissions', area: 'admin', page: adminCommissionsPage },
    { path: '/app/admin/commissions/:id', area: 'admin', page: adminCommissionPage },
    { path: '/app/admin/partners', area: 'admin', page: adminPartnersPage },
    { path: '/app/admin/partners/:id', area: 'admin', page: adminPartnerPage },
    { path: '/app/admin/exports', area: 'admin', page: adminExportsPage },
    { path: '/app/admin/reports', area: 'admin', page: adminReportsPage },
    { path: '/app/admin/api-keys', area: 'admin', page: adminApiKeysPage },
    { path: '/app/admin/refunds', area: 'admin', page: lifecyclePages.refunds },
    { path: '/app/admin/refunds/:id', area: 'admin', page: lifecyclePages.refund },
    { path: '/app/admin/chargebacks', area: 'admin', page: lifecyclePages.chargebacks },
    { path: '/app/admin/chargebacks/:id', area: 'admin', page: lifecyclePages.chargeback },
    { path: '/app/admin/disputes', area: 'admin', page: lifecyclePages.disputes },
    { path: '/app/admin/disputes/:id', area: 'admin', page: lifecyclePages.dispute },
    { path: '/app/admin/adjustments', area: 'admin', page: lifecyclePages.adjustments },
    { path: '/app/admin/adjustments/:id', area: 'admin', page: lifecyclePages.adjustment },
    { path: '/app/admin/bulk-adjustments', area: 'admin', page: bulkAdjustmentsPage },
    { path: '/app/admin/bulk-adjustments/:id', area: 'admin', page: bulkAdjustmentPage },
    { path: '/app/admin/payout-schedule', area: 'admin', page: payoutSchedulePage },
    { path: '/app/admin/pay-runs', area: 'admin', page: payRunsPage },
    { path: '/app/admin/pay-runs/:id', area: 'admin', page: payRunPage },
    { path: '/app/admin/payment-files', area: 'admin', page: paymentFilesPage },
    { path: '/app/admin/payment-files/:id', area: 'admin', page: paymentFilePage },
    { path: '/app/admin/pools', area: 'admin', page: poolsPage },
    { path: '/app/partner/disputes', area: 'partner', page: lifecyclePages.partnerDisputes },
    { path: '/app/partner/disputes/:id', area: 'partner', page: lifecyclePages.partnerDispute },
    { path: '/app/partner', area: 'partner', page: partnerHomePage },
    { path: '/app/partner/commissions', area: 'partner', page: partnerCommissionsPage },
    { path: '/app/partner/payouts', area: 'partner', page: partnerPayoutsPage },
    { path: '/app/partner/payouts/new', area: 'partner', page: partnerRequestPage },
    { path: '/app/partner/payouts/:id', area: 'partner', page: partnerPayoutPage },
    { path: '/app/admin/reconciliations', area: 'admin', page: reconciliationsPage },
    { path: '/app/admin/reconciliations/:date', area: 'admin', page: reconciliationPage },
    { path: '/app/admin/summary-reports', area: 'admin', page: adminSummaryReportsPage },
    { path: '/app/admin/audits', area: 'admin', page: auditsPage },
    { path: '/app/admin/audits/:id', area: 'admin', page: auditPage },
  ],
  // New queues are added here as their APIs land: one entry and one route each.
  navigation: [
    { href: '/app/admin/payouts', label: 'Payout queue', area: 'admin' },
    { href: '/app/admin/commissions', label: 'Commissions', area: 'admin' },
    { href: '/app/admin/partners', label: 'Partners', area: 'admin' },
    { href: '/app/admin/refunds', label: 'Refunds', area: 'admin' },
    { href: '/app/admin/chargebacks', label: 'Chargebacks', area: 'admin' },
    { href: '/app/admin/disputes', label: 'Disputes', area: 'admin' },
    { href: '/app/admin/adjustments', label: 'Adjustments', area: 'admin' },
    { href: '/app/admin/pay-runs', label: 'Pay runs', area: 'admin' },
    { href: '/app/admin/payment-files', label: 'Payment files', area: 'admin' },
    { href: '/app/admin/payout-schedule', label: 'Payment schedule', area: 'admin' },
    { href: '/app/admin/exports', label: 'Exports', area: 'admin' },
    { href: '/app/admin/reports', label: 'Charts', area: 'admin' },
    { href: '/app/admin/api-keys', label: 'API keys', area: 'admin' },
    { href: '/app/admin/pools', label: 'Pools', area: 'admin' },
    { href: '/app/partner', label: 'Balances', area: 'partner' },
    { href: '/app/partner/commissions', label: 'Commissions', area: 'partner' },
    { href: '/app/partner/payouts', label: 'Payouts', area: 'partner' },
    { href: '/app/partner/payouts/new', label: 'Request a payout', area: 'partner' },
    { href: '/app/partner/disputes', label: 'Disputes', area: 'partner' },
    { href: '/app/admin/reconciliations', label: 'Reconciliation', area: 'admin' },
    { href: '/app/admin/summary-reports', label: 'Summary reports', area: 'admin' },
    { href: '/app/admin/audits', label: 'Audits', area: 'admin' },
  ],
});
