/**
 * Generated from the API's OpenAPI document (/openapi.json) by openapi-typescript: do not edit by hand.
 * Regenerate with `npm run generate:api-types` after changing a route; test/web/api-types.test.ts fails while this
 * file is stale.
 */

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Each component’s health; 503 names the ones that are down */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in with email and password (admins add a TOTP code); returns a new session token
         * @description The password and, for admins, the TOTP code are checked together: every failure (unknown email, wrong password, missing or wrong code, disabled or locked account) is the same 401 invalid_credentials. After 5 failures of an account or a client address each attempt waits a growing delay (429 with Retry-After, nothing checked); after 10 it is locked for an hour or until an admin unlocks it (docs/rules.md#sign-in).
         */
        post: operations["logIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke the current session token */
        post: operations["logOut"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user */
        get: operations["getCurrentUser"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{id}/unlock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Lift a user’s sign-in lockout and delays now; audited as USER_UNLOCK
         * @description After 10 failed sign-ins an account is locked for an hour (docs/rules.md#sign-in); this ends the lock and forgets the account’s failures. Needs a fresh TOTP code. The addresses the guesses came from keep their own counters.
         */
        post: operations["unlockUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The partner directory: partners whose name, id or login e-mail contains the text, by name then id
         * @description Admins only. `q` matches a substring case-insensitively, literally (`%` and `_` are not wildcards).
         */
        get: operations["listPartners"];
        put?: never;
        /** Add a partner to the network */
        post: operations["createPartner"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One partner */
        get: operations["getPartner"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/balances": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Balances by bucket and currency, now or as of a past instant */
        get: operations["getPartnerBalances"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/ledger": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The partner’s postings, newest first */
        get: operations["getPartnerLedger"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/upline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The partner’s sponsors, nearest first, at any depth */
        get: operations["getPartnerUpline"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/downline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The partner’s recruits level by level, down to maxDepth
         * @description Ordered by level, then by when each member was placed; pass `nextCursor` as `after` for the next page.
         */
        get: operations["getPartnerDownline"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The partner’s rank, status and KYC history, oldest first */
        get: operations["listPartnerChanges"];
        put?: never;
        /**
         * Record a change of rank, status or KYC status
         * @description Changes of a field are recorded in effective order; the partner takes the new value at once.
         */
        post: operations["createPartnerChange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bonuses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Bonuses waiting for a second person (AWAITING_APPROVAL), oldest first */
        get: operations["listBonuses"];
        put?: never;
        /**
         * Credit or debit a partner with a bonus (no hold); runs as workflow bonus-<id>
         * @description Requires a fresh TOTP code in `X-TOTP-Code` (step-up). Above `fourEyes.bonusAboveRub` (RUB-equivalent) the bonus is AWAITING_APPROVAL until a second person approves it. Honours `Idempotency-Key`: a retry with the same key finds the same bonus.
         */
        post: operations["createBonus"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bonuses/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve a bonus AWAITING_APPROVAL (four eyes): answers once it is posted
         * @description A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approveBonus"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bonuses/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a bonus AWAITING_APPROVAL (four eyes)
         * @description A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectBonus"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bonuses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One bonus and its status */
        get: operations["getBonus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record one trigger event and calculate its commissions (exactly once per externalId) */
        post: operations["createEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Record up to 5000 events in one request; each line gets its own result
         * @description One transaction for the accepted lines; a rejected line (its error names the field, e.g. `events.3.amount`) changes nothing and does not stop the others.
         */
        post: operations["bulkCreateEvents"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events/{externalId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One event: its USD conversion, policy version and commissions */
        get: operations["getEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Commissions, newest first, with the filters of docs/rules.md#commission-list (partners see only their own) */
        get: operations["listCommissions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commissions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One commission with its calculation breakdown, source and status history */
        get: operations["getCommission"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commission-runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run the hold release or the pay batch now (the schedules also run them) */
        post: operations["createCommissionRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The policy version in force now (rates, holds, pools, limits), or at ?at= */
        get: operations["getPolicy"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every policy version, oldest first */
        get: operations["listPolicyVersions"];
        put?: never;
        /**
         * Add a policy version that applies to events completing from effectiveFrom on (needs X-TOTP-Code)
         * @description A version that changes no limit section (payout approval tiers and details-change window, adjustment thresholds, dispute goodwill limit, sign-in limits, `fourEyes`) is applied (201). One that moves a limit is stored as a PENDING policy change request (202) until a second person approves it (`POST /v1/policy/requests/{id}/approve`).
         */
        post: operations["createPolicyVersion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Policy changes that move a limit, newest first; ?status=PENDING lists those waiting for a second person */
        get: operations["listPolicyChangeRequests"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy/requests/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply a PENDING policy change (four eyes)
         * @description A second person: never the maker, one of the latest version’s `fourEyes.moneyCheckerRoles` holding `policy.manage`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approvePolicyChange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy/requests/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a PENDING policy change (four eyes)
         * @description A second person: never the maker, one of the latest version’s `fourEyes.moneyCheckerRoles` holding `policy.manage`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectPolicyChange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/fx-rates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Platform exchange rates to USD (used at each event’s completion time) */
        get: operations["listFxRates"];
        put?: never;
        /**
         * Add a platform rate: USD per one unit of the currency, from effectiveAt on (needs X-TOTP-Code)
         * @description Inside `fourEyes.fxRateBand` around the rate in force the rate is applied (201); outside it, it is stored PENDING (202) until a second person approves it (`POST /v1/fx-rates/{id}/approve`). Either way it is audited with the rate before and after.
         */
        post: operations["createFxRate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/fx-rates/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Requested FX rates (each POST /v1/fx-rates), newest first; ?status=PENDING lists those waiting for a second person */
        get: operations["listFxRateRequests"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/fx-rates/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply a PENDING FX rate (four eyes)
         * @description A second person: never the maker, one of the policy’s `fourEyes.fxCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approveFxRate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/fx-rates/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a PENDING FX rate (four eyes)
         * @description A second person: never the maker, one of the policy’s `fourEyes.fxCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectFxRate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The payout queue (the columns in docs/rules.md#payout-queue and filters), soonest SLA first by default; partners see their own */
        get: operations["listPayouts"];
        put?: never;
        /**
         * Request a payout: reserves the amount (available → payout_reserved) and starts workflow payout-<id>; or an admin’s DRAFT
         * @description A partner for themself (with their TOTP code in `X-TOTP-Code` when they enrolled and the request changes their saved payment details), or an admin with a fresh TOTP code in `X-TOTP-Code`. A payout to details changed within the policy’s window needs at least the policy’s minimum approval tier. With `"draft": true` (admins only, no TOTP: nothing moves) the payout is a DRAFT: validated and priced, nothing reserved, no workflow, invisible to the partner, until `POST /v1/payouts/{id}/submit`. Honours `Idempotency-Key`.
         */
        post: operations["createPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create up to 500 payouts (or drafts) in one request; each line is processed on its own
         * @description Admins, with one fresh TOTP code for the request (none for drafts). A refused line (its error names the field, e.g. `items[3].amount`) changes nothing and does not stop the others. Honours `Idempotency-Key`: a replay answers the first response and creates nothing.
         */
        post: operations["bulkCreatePayouts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/submit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Submit a DRAFT: reserves the amount and starts payout-<id> (same id); needs a fresh TOTP code */
        post: operations["submitPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/discard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Discard a DRAFT (it becomes CANCELLED; nothing was reserved) */
        post: operations["discardPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One payout: state, checklist, required chain, approvals, fee */
        get: operations["getPayout"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Assign the payout to an admin in the queue, or remove the assignment */
        post: operations["assignPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve (one step of the chain); needs a fresh TOTP code */
        post: operations["approvePayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject with a reason code; needs a fresh TOTP code */
        post: operations["rejectPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel before processing (the partner for their own, or an admin) */
        post: operations["cancelPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/release": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Re-run the checklist of a HELD payout */
        post: operations["releasePayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/process": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record the external reference (manual processing); needs a fresh TOTP code */
        post: operations["processPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark paid; posts payout-complete-<id>; needs a fresh TOTP code */
        post: operations["completePayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/fail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark failed; the amount returns to available; needs a fresh TOTP code */
        post: operations["failPayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The partner validates their payout (AWAITING_PARTNER → AWAITING_APPROVAL), bound to the amount and details hash they saw
         * @description docs/rules.md#partner-validation: the partner confirms the amount and the payment details; when the payout’s policy requires an invoice, it must be uploaded first (409 `invoice_required`, field `invoice`), and the invoice current at this moment is the one recorded with the validation. Only the payout’s own partner. Honours `Idempotency-Key`.
         */
        post: operations["validatePayout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/invoice": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the payout’s current invoice (checked against its SHA-256) */
        get: operations["downloadPayoutInvoice"];
        put?: never;
        /**
         * The partner uploads the invoice for their payout (docs/rules.md#partner-validation), before validating it
         * @description multipart/form-data with one field, `file`: a PDF, PNG or JPEG of at most 5 MB whose content matches its type. Allowed while the payout waits for its partner (REQUESTED, HELD or AWAITING_PARTNER, not yet validated) under a policy version that asks for partner validation. A new upload replaces the current invoice (earlier ones are kept); the same file again changes nothing (200). 413 `file_too_large`, 415 `unsupported_media_type` (field `body.file`, or `Content-Type` when the request is not multipart), 400 naming `body.file`.
         */
        post: operations["uploadPayoutInvoice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payouts/{id}/confirmation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the payout’s current confirmation file (checked against its SHA-256) */
        get: operations["downloadPayoutConfirmation"];
        put?: never;
        /** Attach the confirmation file of a manually processed payout (PROCESSING or COMPLETED); audited */
        post: operations["uploadPayoutConfirmation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Provider batches, newest first */
        get: operations["listPayoutBatches"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One provider batch with each payout it carried and the provider’s answer */
        get: operations["getPayoutBatch"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-methods": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The payment methods of the policy in force, with their fields, fees and minimums */
        get: operations["listPaymentMethods"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/payment-methods": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The payment details a partner keeps per method, with the fields changed since their last completed payout */
        get: operations["listPartnerPaymentMethods"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/payment-details-changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every change of the partner’s payment details, newest first (the latest 100), with who made it and masked values */
        get: operations["listPaymentDetailsChanges"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/payment-methods/{methodId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Saves the partner’s details for a method (the partner themself, with a TOTP code once enrolled; or an admin with a fresh TOTP code)
         * @description Every change is recorded with who made it, audited with masked values and e-mailed to the partner. For the policy’s window (`payouts.detailsChange.windowDays`) an admin who changed a partner’s details may not approve that partner’s payouts, and payouts to the changed details need at least the policy’s minimum tier. A partner above the policy’s `partnerTotpRequiredAboveRub` without TOTP is refused with 403 `totp_enrolment_required`.
         */
        put: operations["updatePartnerPaymentMethod"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whether the signed-in user has TOTP, has an enrolment pending, and must enrol under the policy */
        get: operations["getMyTotp"];
        put?: never;
        /** Starts TOTP enrolment with the account password: returns a new secret and its otpauth URI (shown once) */
        post: operations["startTotpEnrolment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirms the pending secret with a code from it; sign-in and payment-details changes then ask for a code */
        post: operations["confirmTotpEnrolment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/next-payment": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A partner’s next payment per wallet: what cleared the hold by (payment date − hold days), bonuses without a hold */
        get: operations["getPartnerNextPayment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-schedule/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every partner with something due on a payment date and what the schedule would do (below the minimum: listed, flagged) */
        get: operations["getPayoutSchedulePreview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Exports made, newest first */
        get: operations["listPayoutExports"];
        put?: never;
        /**
         * Produce and record an export file (CSV of all or new payouts, PayQuicker file, or a batch per method)
         * @description Admins who may export. Honours `Idempotency-Key`: a retried request returns the export first made.
         */
        post: operations["createPayoutExport"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One export; a payment file with its status and counts */
        get: operations["getPayoutExport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports/{id}/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The payouts of an export in file order, with their status now */
        get: operations["listPaymentFileItems"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports/{id}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark the payouts of a payment file paid or failed in bulk (the bank’s result file or lists of references); needs a fresh TOTP code
         * @description docs/rules.md#payment-files. Permission payouts.process, one fresh TOTP code for the whole action, honours `Idempotency-Key`. Everything is checked first: an unknown reference, a payout not in this file, a bad failure code or a reference named twice is a 422 naming the line or field, and nothing changes. Then a workflow delivers each payout’s complete or fail; follow it at `results/{closeId}`.
         */
        post: operations["closePaymentFile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports/{id}/results/{closeId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Progress of one bulk close of a payment file */
        get: operations["getPaymentFileClose"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payout-exports/{id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download an export: the same bytes as when it was made, checked against its SHA-256 */
        get: operations["downloadPayoutExport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Payments history and search, newest first (partners see their own) */
        get: operations["listPaymentHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Notifications, newest first (partners see only their own) */
        get: operations["listNotifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/provider": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The payment provider's outcome of an automatic payout (signed; no session)
         * @description Authenticated by `X-Sandbox-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.rawBody">` with the shared secret (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET), within 5 minutes. The raw body is verified before parsing. The result is passed to workflow payout-<payoutId> as the `providerResult` signal; repeated deliveries are answered 200 and ignored.
         */
        post: operations["receiveProviderWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-exclusions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The exclude list, newest first, with what each active exclusion withholds now */
        get: operations["listPaymentExclusions"];
        put?: never;
        /**
         * Stop paying commissions from one source over a range of transaction times (docs/rules.md#payment-exclusions exclude list)
         * @description Needs a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`. The excluded commissions stay APPROVED and in statistics; the pay batch skips them until the exclusion is removed.
         */
        post: operations["createPaymentExclusion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-exclusions/{id}/remove": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Remove an exclusion: the next pay batch pays what it held back
         * @description Needs a fresh TOTP code. Removing a removed exclusion changes nothing (`changed: false`).
         */
        post: operations["removePaymentExclusion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/switches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The emergency switches: processing pause, methods forced to manual, frozen partners */
        get: operations["getOpsSwitches"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/switches/processing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Pause or resume payout processing (docs/rules.md#emergency-switches: system error)
         * @description Paused: no payout goes to a provider and none may be marked processing. Needs a fresh TOTP code.
         */
        put: operations["updateProcessingSwitch"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/switches/methods/{methodId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Force a payment method to manual processing, or back (docs/rules.md#emergency-switches: provider outage)
         * @description Forced: its automatic payouts are queued for manual processing instead of going to the provider. Needs a fresh TOTP code.
         */
        put: operations["updateMethodSwitch"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/partners/{id}/freeze": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Freeze a partner’s payouts (docs/rules.md#emergency-switches: suspected fraud, balance discrepancy); audited as BALANCE_FREEZE
         * @description Needs a fresh TOTP code. Repeating it changes nothing (`changed: false`).
         */
        post: operations["freezePartner"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/partners/{id}/unfreeze": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Lift a partner’s freeze; audited as BALANCE_UNFREEZE
         * @description Needs a fresh TOTP code. Repeating it changes nothing (`changed: false`).
         */
        post: operations["unfreezePartner"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}/flags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A partner’s flags, active first (a partner reads their own) */
        get: operations["listPartnerFlags"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partner-flags/{flagId}/clear": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Clear an active flag (an account review, a debt-limit review); audited as PARTNER_UNFLAG
         * @description Needs a fresh TOTP code. The partner’s HELD payouts re-run their checklist at once. Flags a lifecycle owns (an open dispute, an open chargeback, a running monitoring period) are cleared by that lifecycle and refused here.
         */
        post: operations["clearPartnerFlag"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adjustments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Manual commissions, newest first (filters: status, type, partner, maker, created between); a partner sees their own POSTED ones */
        get: operations["listAdjustments"];
        put?: never;
        /**
         * Add a manual commission (BONUS, ADJUSTMENT, OTHER); runs as workflow adjustment-<id>
         * @description Requires a fresh TOTP code in `X-TOTP-Code`. Above `adjustments.seniorApprovalAboveRub` a senior admin other than the maker approves first. Honours `Idempotency-Key`.
         */
        post: operations["createAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adjustments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One manual commission request and its state */
        get: operations["getAdjustment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adjustments/{id}/documentation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The supporting documentation uploaded with the adjustment */
        get: operations["downloadAdjustmentDocumentation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adjustments/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Senior approval of a manual commission above the threshold (maker ≠ checker)
         * @description Requires a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approveAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/adjustments/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a manual commission awaiting approval
         * @description Requires a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Bulk adjustments, newest first (filters: status, maker); admins only */
        get: operations["listBulkAdjustments"];
        put?: never;
        /**
         * Create a bulk adjustment (targets by IDs, filter or CSV; ADD/REMOVE; fixed or percentage); runs as bulk-adjustment-<id>
         * @description Every partner’s amount is fixed now (see the preview); approval by total impact (docs/rules.md#bulk-adjustments tiers) starts the execution. Honours `Idempotency-Key`.
         */
        post: operations["createBulkAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A bulk adjustment with its progress */
        get: operations["getBulkAdjustment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments/{id}/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Affected partners with their amounts (paged) and the total impact */
        get: operations["getBulkAdjustmentPreview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve a bulk adjustment (tier by total impact; maker ≠ checker); execution starts
         * @description Requires a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approveBulkAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a bulk adjustment awaiting approval
         * @description Requires a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectBulkAdjustment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/bulk-adjustments/{id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The results report as CSV: per partner applied / skipped (with why), then totals */
        get: operations["downloadBulkAdjustmentReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/commissions/{id}/clawback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Claw a commission back, in full or in part (a reversing entry; the original REVERSED when full)
         * @description Senior admins only (docs/rules.md#clawbacks: "Reverse commission — senior admin"). Requires a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`.
         */
        post: operations["clawBackCommission"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The refund queue, newest first (filters: status, reason, order, seller); partners see their own orders’ */
        get: operations["listRefunds"];
        put?: never;
        /**
         * Request a refund of an order (full or partial); runs as workflow refund-<id>
         * @description Claims the amount on the order at once: a request beyond what is left to refund is a 409 naming `amount` and changes nothing. Honours `Idempotency-Key`.
         */
        post: operations["createRefund"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One refund, the order’s refund state and the commissions it reversed */
        get: operations["getRefund"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve a refund: every commission of the order, at every level, is reversed (PROCESSED)
         * @description Requires a fresh TOTP code in `X-TOTP-Code`; the requester cannot approve. Answers once the reversal is posted.
         */
        post: operations["approveRefund"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject a PENDING refund (the order amount it claimed is released)
         * @description Requires a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectRefund"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chargebacks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Chargebacks, newest first (filters: status, order, seller); partners see their own orders’ */
        get: operations["listChargebacks"];
        put?: never;
        /**
         * Enter a provider’s chargeback notice; runs as workflow chargeback-<id>
         * @description Claims the amount on the order at once (beyond what is left: 409 naming `amount`, nothing written); the workflow reverses the order’s commissions, flags and penalises the seller. A known `providerReference` opens nothing new (200, `duplicate: true`). Honours `Idempotency-Key`.
         */
        post: operations["createChargeback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chargebacks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One chargeback with its investigation steps and the commissions it reversed (and re-credited) */
        get: operations["getChargeback"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chargebacks/{id}/steps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record an investigation step (evidence gathered, submitted to the provider, awaiting decision) */
        post: operations["createChargebackStep"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chargebacks/{id}/decision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Record the provider’s outcome: WON re-credits the reversed commissions, LOST keeps the reversal, PARTIAL re-credits the share won
         * @description Requires a fresh TOTP code in `X-TOTP-Code`. Answers once the re-credit is posted.
         */
        post: operations["createChargebackDecision"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/chargebacks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The payment provider's chargeback notices: opened, decided (signed; no session)
         * @description Authenticated by `X-Sandbox-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.rawBody">` with the provider's shared secret (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET), like /v1/webhooks/provider. `chargeback.opened` opens a chargeback (a known `providerReference` opens nothing); `chargeback.decided` brings the outcome to workflow chargeback-<id>; a repeated delivery is answered 200 and changes nothing.
         */
        post: operations["receiveChargebackWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Disputes, newest first (filters: status, type, partner, assignee); partners see their own */
        get: operations["listDisputes"];
        put?: never;
        /**
         * Open a dispute on one of your transactions (an admin: on a partner’s behalf); runs as workflow dispute-<id>
         * @description The transaction must be the partner’s own (404 naming `body.transactionRef` otherwise). Honours `Idempotency-Key`.
         */
        post: operations["createDispute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One dispute with its timeline and evidence */
        get: operations["getDispute"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/evidence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send evidence (text and/or a file); a dispute waiting for information goes to review */
        post: operations["createDisputeEvidence"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/evidence/{evidenceId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download an evidence file (checked against its SHA-256) */
        get: operations["downloadDisputeEvidence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/assign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Assign the dispute to a reviewer, or claim it (financial support and above) */
        post: operations["assignDispute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve: CORRECTION (posted to the ledger), EXPLANATION, GOODWILL, ESCALATION, REJECTION
         * @description CORRECTION and GOODWILL need a fresh TOTP code in `X-TOTP-Code`. An escalated dispute, and goodwill above the policy’s `disputes.goodwillMax`, are for senior admins.
         */
        post: operations["resolveDispute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/resolution/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve the CORRECTION or GOODWILL waiting for a second person (four eyes): it is posted
         * @description A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["approveDisputeResolution"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/resolution/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reject the CORRECTION or GOODWILL waiting for a second person (four eyes): nothing is posted, the dispute stays open
         * @description A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.
         */
        post: operations["rejectDisputeResolution"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}/escalate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The partner asks for a senior admin after an explanation */
        post: operations["escalateDispute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/payouts-by-status-method": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Payouts per period, status and method (count and amount per currency), for the console’s charts */
        get: operations["getPayoutsByStatusMethodReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/commissions-by-level-source": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Commissions created in a range per level and source type (count and amount per currency) */
        get: operations["getCommissionsByLevelSourceReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/audit-trail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit records of one target (a payout’s history), or of a partner and their payouts, newest first */
        get: operations["getAuditTrailReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/commission-summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Commission summary of a period: generated, approved, paid, reversed, net; by level, source, day, partner; trend
         * @description Computed now, read-only (one snapshot, statement timeout), not stored: POST /v1/reports/summaries stores one. Money as decimal strings per currency.
         */
        get: operations["getCommissionSummaryReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/payout-summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Payout summary of a period: submitted, approved, processed, completed, failed, cancelled; amounts, processing time; by method, status, day, partner; failures
         * @description Computed now, read-only (one snapshot, statement timeout), not stored: POST /v1/reports/summaries stores one. Money as decimal strings per currency.
         */
        get: operations["getPayoutSummaryReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/summaries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stored summary reports (scheduled and on demand), newest first */
        get: operations["listSummaryReports"];
        put?: never;
        /** Generate and store a summary report on demand (JSON, CSV and PDF, each with its SHA-256) */
        post: operations["createSummaryReport"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/summaries/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One stored summary report: its period, hashes and file links */
        get: operations["getSummaryReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/summaries/{id}/{format}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A stored summary report’s file (json, csv or pdf), byte for byte, checked against its SHA-256 */
        get: operations["downloadSummaryReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/archive.pdf": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed day’s archived report as PDF, byte for byte, checked against its SHA-256 */
        get: operations["downloadReconciliationArchivePdf"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every API key, newest first, with its scopes, last use and revocation (never its secret) */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key for a machine; the answer shows the key once
         * @description Requires a fresh TOTP code in `X-TOTP-Code`. The key (`lf_<id>_<secret>`) is sent as `Authorization: Bearer lf_…`; only the SHA-256 of its secret is kept, so it cannot be shown again. A key gets no scope its creator’s role lacks.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{id}/calls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The latest calls made with a key, newest first, refused ones included (wrong scope, rate limit) */
        get: operations["listApiKeyCalls"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke an API key: its next call is a 401
         * @description Requires a fresh TOTP code in `X-TOTP-Code`. Revoking a revoked key changes nothing (`changed: false`).
         */
        post: operations["revokeApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reconciled days, newest first */
        get: operations["listReconciliations"];
        put?: never;
        /**
         * Reconcile a day on demand
         * @description Starts (or joins) the workflow `reconciliation-<date>`, which computes and stores the day once; read it with GET /v1/reconciliations/{date}. Only a day that has ended (UTC) may be reconciled.
         */
        post: operations["runReconciliation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One reconciled day: the report, the rebuild findings, the findings recorded and the sign-off */
        get: operations["getReconciliation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/findings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record a finding against a variance line or a rebuild finding, optionally linking the correcting adjustment */
        post: operations["recordReconciliationFinding"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/sign-off": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a day off (finance manager or director, fresh TOTP code, not the person who ran it on demand)
         * @description Refused while a variance line or a rebuild finding has no finding recorded, and a second time. The signed report is archived as CSV with its SHA-256 and the day is sealed: the ledger takes no entry dated in it.
         */
        post: operations["signOffReconciliation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/archive.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed day’s archived report (CSV), byte for byte, checked against its SHA-256 */
        get: operations["downloadReconciliationArchive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pay runs, newest first */
        get: operations["listPayRuns"];
        put?: never;
        /**
         * Create a pay run from a selection of payouts awaiting approval; runs as pay-run-<id>
         * @description Included: the selection’s payouts AWAITING_APPROVAL that are not held, flagged, below the minimum, without payment details or in another open run; the rest are listed with their reason. Honours `Idempotency-Key`.
         */
        post: operations["createPayRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A pay run: totals, funds, exclusions, run-level approval, progress, decisions */
        get: operations["getPayRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A pay run’s items by payout id, optionally in one state */
        get: operations["listPayRunItems"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/decision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the signed-in approver may approve now, and the hash their decision binds */
        get: operations["getPayRunDecision"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve everything the approver may approve now, with one fresh TOTP code
         * @description `itemsHash` is what GET /decision gave; if the items changed since, 409 `items_changed` and nothing is decided. The workflow delivers the approval to each payout; a payout that refuses (details changed, amount changed, …) is reported on its item.
         */
        post: operations["approvePayRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/run-approval": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run-level approval of a run whose total passes the policy’s run limits (not its creator) */
        post: operations["approvePayRunTotal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/exclude": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take items out of the run (not those a decision is delivering) */
        post: operations["excludePayRunItems"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject what is left undecided; those payouts stay AWAITING_APPROVAL */
        post: operations["rejectPayRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pay-runs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A new attempt for a finished run’s FAILED payouts: new payout requests, a new linked run
         * @description Each FAILED payout is requested again (same partner, method, currency, amount and details), initiated by the caller, who therefore cannot approve them; paid payouts are not touched. Needs a fresh TOTP code. Honours `Idempotency-Key`.
         */
        post: operations["retryPayRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/platform-funds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the platform declares available per payment method and currency */
        get: operations["listPlatformFunds"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/platform-funds/{methodId}/{currency}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Declare what a method and currency has available; needs a fresh TOTP code */
        put: operations["declarePlatformFunds"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/statement-matching-rules/{source}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The matching rules of a statement source, in the order they are applied */
        get: operations["getStatementMatchingRules"];
        /** Replace the matching rules of a statement source (finance director); applies to matching from now on */
        put: operations["replaceStatementMatchingRules"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/statements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The day’s statements, lines, matches, exception counts and the comparison of completed payouts with the statements */
        get: operations["getReconciliationStatements"];
        put?: never;
        /**
         * Upload a bank statement of the day (manual methods) and match it
         * @description The CSV (comma, header `line_id,reference,amount,currency,value_date`, at most 50000 lines) is checked whole first: any bad line is refused with 422 naming the first line and field (`file.line.<n>.<column>`) and listing every problem; nothing is stored. A line id already stated for the day is refused the same way. The day’s manual payouts are then matched against the bank lines.
         */
        post: operations["uploadBankStatement"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/exceptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The day’s statement exceptions, oldest first */
        get: operations["listStatementExceptions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reconciliations/{date}/exceptions/{id}/{action}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Acknowledge, resolve (note and the correcting entry) or accept (note) a statement exception */
        post: operations["actOnStatementException"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit runs, newest first */
        get: operations["listAuditRuns"];
        put?: never;
        /**
         * Start an audit for a period on demand
         * @description Starts (or joins) the workflow `audit-<kind>-<period>`, which computes and stores the run once: a second start of the same period returns the first run. Only a period that has ended may be audited.
         */
        post: operations["createAuditRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audits/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One audit run: what it examined, its findings and its sign-off */
        get: operations["getAuditRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audits/{id}/findings/{findingId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resolve (the problem was corrected) or accept (it stands, for the reason given) one open finding, with a note */
        post: operations["decideAuditFinding"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audits/{id}/sign-off": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a run off (finance manager or director, fresh TOTP code, not the person who started it on demand)
         * @description Refused while a finding is open, and a second time. A signed run and its findings never change.
         */
        post: operations["signOffAuditRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audits/{id}/export.tar": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The annual full-audit export: a tar of ledger.csv, postings.csv, audit_log.csv, approvals.csv and manifest.csv (their SHA-256s) */
        get: operations["downloadAuditExport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pools/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Preview a pool period: qualified partners, volumes, pool amount, share and remainder (nothing is written) */
        get: operations["previewPoolPeriod"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/pools/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run every pool of a frequency for one past period (idempotent per period)
         * @description Starts, or joins, the workflow the pool Schedule starts for that period (same workflow id); a period already run is not run again. Read the result with GET /v1/pools/preview (its `run` fields).
         */
        post: operations["runPoolPeriod"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Health: {
            /** @enum {string} */
            status: "ok" | "down";
            components: {
                postgres?: {
                    /** @enum {string} */
                    status: "up" | "down";
                    error?: string;
                };
                temporal?: {
                    /** @enum {string} */
                    status: "up" | "down";
                    error?: string;
                };
                worker?: {
                    /** @enum {string} */
                    status: "up" | "down";
                    error?: string;
                };
            };
            error?: {
                code: string;
                message: string;
                field?: string;
            };
        };
        Error: {
            error: {
                code: string;
                message: string;
                field?: string;
            };
        };
        LoginRequest: {
            /** Format: email */
            email: string;
            password: string;
            totp?: string;
        };
        UnlockedUser: {
            id: string;
            email: string;
            /** @description The failed sign-ins the account had on record (0: it was not throttled) */
            failuresCleared: number;
        };
        Partner: {
            id: string;
            name: string;
            sponsorId: string | null;
            /** @enum {string} */
            rank: "0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO";
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TERMINATED";
            /** @enum {string} */
            kycStatus: "APPROVED" | "PENDING" | "REJECTED";
            /** Format: date-time */
            joinedAt: string;
        };
        CreatePartnerRequest: {
            /** @description The upstream system’s id; generated when absent */
            id?: string;
            name: string;
            sponsorId?: string | null;
            /**
             * @default 0
             * @enum {string}
             */
            rank?: "0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO";
            /**
             * @default ACTIVE
             * @enum {string}
             */
            status?: "ACTIVE" | "SUSPENDED" | "TERMINATED";
            /**
             * @default PENDING
             * @enum {string}
             */
            kycStatus?: "APPROVED" | "PENDING" | "REJECTED";
            /** Format: date-time */
            joinedAt?: string;
        };
        Balances: {
            balances: {
                currency: string;
                commissionPending: string;
                commissionApproved: string;
                available: string;
                payoutReserved: string;
                held: string;
                /** @description What the partner owes, as a positive amount */
                debt: string;
            }[];
            /** Format: date-time */
            asOf: string | null;
        };
        Posting: {
            entryId: string;
            line: number;
            kind: string;
            description: string;
            bucket: string;
            currency: string;
            amount: string;
            createdAt: string;
        };
        UplineMember: {
            partnerId: string;
            /** @description 1 = the sponsor, 2 = the sponsor’s sponsor, … */
            level: number;
            /** @enum {string} */
            rank: "0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO";
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TERMINATED";
            /** @enum {string} */
            kycStatus: "APPROVED" | "PENDING" | "REJECTED";
        };
        DownlineMember: {
            partnerId: string;
            name: string;
            sponsorId: string;
            /** @description 1 = a direct recruit, 2 = a recruit’s recruit, … */
            level: number;
            /** @enum {string} */
            rank: "0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO";
            /** @enum {string} */
            status: "ACTIVE" | "SUSPENDED" | "TERMINATED";
            /** @enum {string} */
            kycStatus: "APPROVED" | "PENDING" | "REJECTED";
            /** Format: date-time */
            joinedAt: string;
            /** @description Partners this member sponsored directly */
            childrenCount: number;
        };
        PartnerChange: {
            id: string;
            partnerId: string;
            /** @enum {string} */
            field: "rank" | "status" | "kycStatus";
            oldValue: string;
            newValue: string;
            /** Format: date-time */
            effectiveAt: string;
            reason: string | null;
            recordedBy: string;
            /** Format: date-time */
            recordedAt: string;
        };
        RecordPartnerChangeRequest: {
            /** @enum {string} */
            field: "rank" | "status" | "kycStatus";
            /** @description A rank, a partner status or a KYC status, as `field` says */
            value: string;
            /**
             * Format: date-time
             * @description When the change took effect: not before the field’s last change, not in the future. Now when absent.
             */
            effectiveAt?: string;
            reason: string;
        };
        Bonus: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "PENDING" | "COMPLETED" | "FAILED" | "REJECTED" | "EXPIRED";
            partnerId: string;
            amount: string;
            currency: string;
            reason: string;
            entryId: string | null;
            failure: string | null;
            createdAt: string;
            createdBy: string;
            /** @description Above the four-eyes threshold: a second person approves before it posts */
            needsApproval: boolean;
            /** @description RUB-equivalent at the rates in force when requested; null when unknown */
            amountRub: string | null;
            decidedBy: string | null;
            decidedAt: string | null;
        };
        CreateBonusRequest: {
            partnerId: string;
            /**
             * @description Positive credits the partner; negative deducts (beyond `available` it becomes debt)
             * @example 25.00
             */
            amount: string;
            /** @example USD */
            currency: string;
            reason: string;
        };
        BonusDecisionRequest: {
            reason?: string;
        };
        EventResult: {
            externalId: string;
            /** @enum {string} */
            status: "PROCESSED" | "DUPLICATE" | "REJECTED";
            eventId?: string;
            commissions?: {
                id: string;
                partnerId: string;
                incomeType: number;
                level: number;
                amount: string;
            }[];
            /** @description ORDER_CANCELLED: commissions reversed */
            reversed?: number;
            error?: {
                code: string;
                message: string;
                field: string;
            };
        };
        CommissionEvent: {
            /** @description The sender’s unique id: resending it changes nothing */
            externalId: string;
            /** @enum {string} */
            kind: "ORDER_COMPLETED" | "INVESTMENT_CONFIRMED" | "INVESTMENT_PROFIT" | "PORTFOLIO_YIELD" | "ORDER_CANCELLED";
            /** @description The order, investment or profit distribution */
            sourceId: string;
            /** @description The partner the customer is attributed to (type 4: the investor); null = no attribution, no commission */
            partnerId: string | null;
            customerId?: string | null;
            /** @description An existing client’s additional purchase (type 3) */
            repeatPurchase?: boolean;
            /** Format: date-time */
            completedAt: string;
            /**
             * @description Net order value, entrance fee, net profit or own investment; not for ORDER_CANCELLED
             * @example 25.00
             */
            amount?: string;
            /** @example USD */
            currency?: string;
            /** @description PORTFOLIO_YIELD only */
            yieldRate?: string;
        };
        Commission: {
            id: string;
            partnerId: string;
            incomeType: number;
            incomeTypeName: string;
            level: number;
            sourceType: string;
            sourceId: string | null;
            eventExternalId: string | null;
            poolRunId: string | null;
            base: string;
            rate: string;
            amount: string;
            reversedAmount: string;
            currency: string;
            /** @enum {string} */
            status: "PENDING" | "APPROVED" | "PAID" | "REVERSED" | "HELD";
            releaseAt: string;
            createdAt: string;
            approvedAt: string | null;
            paidAt: string | null;
            reversedAt: string | null;
            policyVersion: number;
        };
        CommissionEventDetail: {
            id: string;
            externalId: string;
            kind: string;
            sourceType: string | null;
            sourceId: string;
            partnerId: string | null;
            completedAt: string;
            originalAmount: string | null;
            originalCurrency: string | null;
            fxRate: string | null;
            baseUsd: string | null;
            policyVersion: number | null;
            commissionCount: number;
            commissionTotal: string;
            entryId: string | null;
            cancelledByEventId: string | null;
            receivedAt: string;
            commissions: (components["schemas"]["Commission"] & {
                breakdown: {
                    [key: string]: unknown;
                };
            })[];
        };
        PolicyVersion: {
            version: number;
            /** @description null: in force from the beginning */
            effectiveFrom: string | null;
            reason: string;
            createdBy: string;
            createdAt: string;
            policy: Record<string, never>;
        };
        PolicyChangeRequest: {
            id: string;
            /** @description The latest version when it was requested; approving it after another version was added is refused */
            baseVersion: number;
            effectiveFrom: string;
            reason: string;
            /** @description The requested policy document */
            policy: Record<string, never>;
            /** @description The limit sections of the base version */
            tiersBefore: Record<string, never>;
            /** @description The limit sections of the requested document */
            tiersAfter: Record<string, never>;
            /** @enum {string} */
            status: "PENDING" | "APPROVED" | "REJECTED";
            /** @description The version it became (APPROVED) */
            appliedVersion: number | null;
            createdBy: string;
            createdAt: string;
            decidedBy: string | null;
            decidedAt: string | null;
            decisionReason: string | null;
        };
        FxRate: {
            currency: string;
            usdRate: string;
            effectiveAt: string;
            createdBy: string;
        };
        FxRateRequest: {
            id: string;
            currency: string;
            usdRate: string;
            effectiveAt: string;
            /** @description The rate in force it replaces (null: the currency’s first rate) */
            previousUsdRate: string | null;
            /**
             * @description APPLIED: in fx_rates; PENDING: outside the band, waiting for a second person; REJECTED
             * @enum {string}
             */
            status: "PENDING" | "APPLIED" | "REJECTED";
            createdBy: string;
            createdAt: string;
            decidedBy: string | null;
            decidedAt: string | null;
            decisionReason: string | null;
        };
        /** @description The current invoice (the latest uploaded) */
        PayoutInvoice: {
            id: string;
            payoutId: string;
            fileName: string;
            /** @enum {string} */
            contentType: "application/pdf" | "image/png" | "image/jpeg";
            sizeBytes: number;
            sha256: string;
            uploadedBy: string;
            uploadedAt: string;
            /** @description GET it for the file */
            url: string;
        } | null;
        Payout: {
            id: string;
            /** @description payout-<id>; a DRAFT has none running until it is submitted */
            workflowId: string;
            workflowUrl: string | null;
            /**
             * @description AWAITING_PARTNER (docs/rules.md#partner-validation: “Pending”): the partner validates, and uploads an invoice when the policy asks, before the approval chain
             * @enum {string}
             */
            status: "DRAFT" | "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED";
            partnerId: string;
            /** @description The queue column in docs/rules.md#payout-queue: name and id */
            partner: {
                id: string;
                name: string;
                rank: string;
            };
            methodId: string;
            currency: string;
            amount: string;
            /** @description What the platform keeps: the method’s fee plus, for a non-regular payout, the surcharge */
            fee: string;
            nonRegular: boolean;
            /** @description The non-regular surcharge included in `fee` (0 for a regular payout) */
            surcharge: string;
            amountToTransfer: string;
            /** @description RUB-equivalent at creation; null when no FX rate was known (highest approval tier) */
            amountRub: string | null;
            /** @enum {string} */
            priority: "HIGH" | "NORMAL" | "REVIEW";
            slaDueAt: string;
            /** @description Open past its SLA, or closed after it; never for a draft */
            slaBreached: boolean;
            paymentDetails: {
                [key: string]: string;
            };
            /** @description Send it back with an approval: what the approver saw */
            detailsHash: string;
            /** @description docs/rules.md#details-changed: the payment-detail fields that differ from the partner’s last completed payout by this method */
            detailsChanged: {
                changedFields: string[];
                previousPayoutId: string | null;
            };
            /** @description Role `system`: the payment schedule */
            initiatedBy: {
                userId: string;
                role: string;
            };
            /** @description The admin who drafted it (neither they nor the submitter may approve it) */
            draftedBy: string | null;
            /** @description When the amount was reserved (a draft: null until submitted) */
            requestedAt: string | null;
            /** @description The payment date of the schedule run that made it */
            scheduleDate: string | null;
            /** @description The “Assigned To” in docs/rules.md#payout-queue */
            assignedTo: {
                userId: string;
                at: string;
            } | null;
            requiredChain: {
                roles: string[];
            }[];
            approvals: {
                userId: string;
                role: string;
                /** @enum {string} */
                decision: "APPROVE" | "REJECT";
                step: number | null;
                at: string;
            }[];
            checklist: {
                check: string;
                passed: boolean;
                action: string;
                detail: string;
            }[];
            rejection: {
                code: string;
                reason: string | null;
            } | null;
            externalReference: string | null;
            failure: {
                code: string;
                reason: string | null;
            } | null;
            /** @description payout-reserve-<id>; null for a draft, and for a draft discarded before submission */
            reserveEntryId: string | null;
            settleEntryId: string | null;
            /** @description The current confirmation file of a manually processed payout (POST /v1/payouts/{id}/confirmation) */
            confirmation: {
                id: string;
                fileName: string;
                sha256: string;
                uploadedBy: string;
                uploadedAt: string;
                url: string;
            } | null;
            /** @description AUTOMATIC methods: processing through the payment provider */
            provider: {
                /** @description The current attempt at the provider (idempotency key <id>:<attempt>) */
                attempt: number;
                reference: string | null;
                /** @description Attempts ran out: an admin completes or fails it */
                needsReview: boolean;
            };
            /** @description docs/rules.md#partner-validation: the partner validates before the approval chain (AWAITING_PARTNER); null when the payout’s policy version asks for no validation */
            partnerValidation: {
                invoiceRequired: boolean;
                /** @description Not validated by then: CANCELLED, the amount back to available (set once AWAITING_PARTNER) */
                dueAt: string | null;
                validatedBy: string | null;
                validatedAt: string | null;
                /** @description The invoice current when the partner validated */
                validatedInvoiceId: string | null;
                invoice: components["schemas"]["PayoutInvoice"];
            } | null;
            policyVersion: number;
            createdAt: string;
            updatedAt: string;
        };
        CreatePayoutRequest: {
            partnerId: string;
            /** @example 25.00 */
            amount: string;
            /** @example USD */
            currency: string;
            /** @example BANK_TRANSFER */
            methodId: string;
            /** @description The method’s fields (policy `payouts.methods[].fields`); omitted: the partner’s saved details for the method */
            paymentDetails?: {
                [key: string]: string;
            };
            /** @description The non-regular payment in docs/rules.md#payout-fees: off the schedule or below the method’s minimum, at the method’s `nonRegularSurchargePercent` (added to the fee) */
            nonRegular?: boolean;
            /** @description Admins only: a DRAFT — nothing is reserved, no workflow starts, the partner does not see it until it is submitted */
            draft?: boolean;
        };
        BulkPayoutResult: {
            index: number;
            /** @enum {string} */
            status: "CREATED" | "REFUSED";
            payout?: components["schemas"]["Payout"];
            /** @description The field is named as sent: `items[3].amount` */
            error?: {
                code: string;
                field?: string;
                message: string;
            };
        };
        BulkPayoutRequest: {
            draft?: boolean;
            items: unknown[];
        };
        DiscardPayoutDraftRequest: {
            reason?: string;
        };
        AssignPayoutRequest: {
            /**
             * Format: uuid
             * @description The admin to assign; null removes the assignment
             */
            userId: string | null;
        };
        ApprovePayoutRequest: {
            /**
             * @description The amount the approver saw
             * @example 25.00
             */
            amount: string;
            detailsHash: string;
        };
        RejectPayoutRequest: {
            /** @enum {string} */
            code: "KYC_REQUIRED" | "ACCOUNT_SUSPENDED" | "INVALID_METHOD" | "LIMIT_EXCEEDED" | "DUPLICATE_REQUEST" | "FRAUD_SUSPECTED";
            reason: string;
        };
        CancelPayoutRequest: {
            reason?: string;
        };
        ProcessPayoutRequest: {
            externalReference: string;
        };
        FailPayoutRequest: {
            /** @enum {string} */
            failureCode: "INVALID_ACCOUNT" | "ACCOUNT_CLOSED" | "NAME_MISMATCH" | "PROVIDER_ERROR" | "TIMEOUT" | "LIMIT_EXCEEDED";
            reason?: string;
        };
        ValidatePayoutRequest: {
            /**
             * @description The amount the partner saw
             * @example 25.00
             */
            amount: string;
            detailsHash: string;
        };
        PayoutInvoiceUpload: {
            /**
             * Format: binary
             * @description PDF, PNG or JPEG, at most 5242880 bytes; the part’s Content-Type must be the file’s
             */
            file: string;
        };
        PayoutConfirmation: {
            id: string;
            payoutId: string;
            fileName: string;
            /** @enum {string} */
            contentType: "application/pdf" | "image/png" | "image/jpeg";
            sizeBytes: number;
            sha256: string;
            uploadedBy: string;
            uploadedAt: string;
            url: string;
        };
        PayoutConfirmationUpload: {
            /**
             * Format: binary
             * @description PDF, PNG or JPEG, at most 5242880 bytes
             */
            file: string;
        };
        PayoutBatch: {
            id: string;
            methodId: string;
            provider: string;
            /**
             * @description SENDING: recorded, no answer yet (or the worker died while sending)
             * @enum {string}
             */
            status: "SENDING" | "SENT";
            itemCount: number;
            /**
             * @description The amounts sent per currency, as decimal strings
             * @example {
             *       "USD": "1960.00"
             *     }
             */
            totals: {
                [key: string]: string;
            };
            acceptedCount: number | null;
            failedCount: number | null;
            createdAt: string;
            answeredAt: string | null;
        };
        PayoutBatchItem: {
            position: number;
            payoutId: string;
            /** @description <payoutId>:<attempt>: the attempt this item carried */
            idempotencyKey: string;
            amount: string;
            currency: string;
            /** @enum {string|null} */
            outcome: "ACCEPTED" | "FAILED" | "REJECTED" | null;
            providerReference: string | null;
            failureCode: string | null;
            message: string | null;
        };
        PaymentMethod: {
            id: string;
            name: string;
            currency: string;
            fields: {
                name: string;
                label: string;
                pattern: string;
                required: boolean;
            }[];
            feePercent: string;
            minFee: string;
            minPayout: string;
            /** @description docs/rules.md#payout-fees: the surcharge a non-regular payout (off schedule or below the minimum) adds to the fee */
            nonRegularSurchargePercent: string;
            /**
             * @description As the policy sets it
             * @enum {string}
             */
            processing: "MANUAL" | "AUTOMATIC";
            /** @description An outage switched the method to manual processing for now (docs/rules.md#emergency-switches) */
            forcedManual: boolean;
        };
        SavedPaymentMethod: {
            methodId: string;
            details: {
                [key: string]: string;
            };
            updatedAt: string;
            /** @description Fields that differ from the details of the last completed payout by this method; empty when none or no such payout */
            changedSinceLastCompleted: string[];
            lastCompletedPayoutId: string | null;
        };
        PaymentDetailsChange: {
            id: string;
            methodId: string;
            /** @description A user id, or system:<component> */
            changedBy: string;
            changedByRole: string;
            /** @enum {string} */
            source: "SAVED_METHOD" | "PAYOUT_REQUEST" | "DRAFT_SUBMISSION";
            /** @description The partner’s first details of all: a setup, not a change of where money goes */
            initial: boolean;
            changedFields: string[];
            /** @description Masked: at most the last four characters of each value */
            before: {
                [key: string]: string;
            } | null;
            /** @description Masked like `before` */
            after: {
                [key: string]: string;
            };
            changedAt: string;
        };
        TotpStatus: {
            enrolled: boolean;
            /** @description An enrolment was started and awaits its confirming code */
            pending: boolean;
            /** @description Partners: the policy requires TOTP at the current balance before details changes and payout requests */
            required: boolean;
        };
        TotpEnrolment: {
            secret: string;
            otpauthUri: string;
        };
        NextPaymentWallet: {
            currency: string;
            /** @description The next payment: inAvailable + awaitingPayBatch */
            amount: string;
            /** @description In `available` and cleared by the cutoff: what a run on the date pays */
            inAvailable: string;
            /** @description Cleared by the cutoff, reaching `available` with the daily pay batch (less debt it repays) */
            awaitingPayBatch: string;
            /** @description The saved method paying this currency (the latest updated); null: none */
            method: {
                id: string;
                name: string;
                minPayout: string;
            } | null;
            belowMinimum: boolean;
            /**
             * @description READY is paid by the run; BELOW_MINIMUM only with policy includeBelowMinimum; the others are not
             * @enum {string}
             */
            state: "READY" | "BELOW_MINIMUM" | "NO_PAYMENT_DETAILS" | "ACTIVE_PAYOUT" | "SCHEDULED" | "NOTHING_DUE";
        };
        NextPayment: {
            partnerId: string;
            partnerName: string;
            paymentDate: string;
            /** @description Money whose hold ended at or before this instant counts (payment date 00:00 UTC − holdDays); bonuses have no hold */
            cutoff: string;
            scheduleEnabled: boolean;
            wallets: components["schemas"]["NextPaymentWallet"][];
        };
        PayoutSchedulePreview: {
            paymentDate: string;
            cutoff: string;
            scheduleEnabled: boolean;
            includeBelowMinimum: boolean;
            partners: {
                partnerId: string;
                partnerName: string;
                wallets: components["schemas"]["NextPaymentWallet"][];
            }[];
            next: string | null;
        };
        /** @description PAYQUICKER and METHOD_BATCH exports only: the payment file’s status and counts */
        PaymentFileSummary: {
            /**
             * @description LOCKING: its manual payouts are being moved to PROCESSING; OPEN: waiting for the bank’s result; CLOSING: a bulk close runs; CLOSED: every payout in it is COMPLETED, FAILED (or otherwise terminal)
             * @enum {string}
             */
            status: "LOCKING" | "OPEN" | "CLOSING" | "CLOSED";
            counts: {
                total: number;
                processing: number;
                completed: number;
                failed: number;
                other: number;
            };
        };
        PayoutExport: {
            id: string;
            /** @enum {string} */
            kind: "CSV_ALL" | "CSV_NEW" | "PAYQUICKER" | "METHOD_BATCH";
            methodId: string | null;
            /** @enum {string|null} */
            status: "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED" | null;
            from: string | null;
            to: string | null;
            createdBy: string;
            createdAt: string;
            rowCount: number;
            /** @description Per currency: how many payouts and the sums of amount, fee and amount to transfer */
            totals: {
                [key: string]: {
                    count: number;
                    amount: string;
                    fee: string;
                    amountToTransfer: string;
                };
            };
            fileName: string;
            contentType: string;
            /** @description SHA-256 (hex) of the file; every download is checked against it */
            checksumSha256: string;
            fileUrl: string;
            paymentFile?: components["schemas"]["PaymentFileSummary"];
        };
        CreatePayoutExportRequest: {
            /**
             * @description CSV_ALL: every payout matching the filters; CSV_NEW: those never in a CSV export before; PAYQUICKER: APPROVED payouts of a method with an `email` detail (default PAYQUICKER) in PayQuicker’s columns; METHOD_BATCH: the APPROVED payouts of `methodId` in its batch layout. Payment files leave out payouts an earlier payment file listed.
             * @enum {string}
             */
            kind: "CSV_ALL" | "CSV_NEW" | "PAYQUICKER" | "METHOD_BATCH";
            methodId?: string;
            /**
             * @description CSV kinds: that status only (default: every status but DRAFT); payment files: APPROVED only (the default)
             * @enum {string}
             */
            status?: "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED";
            /**
             * Format: date-time
             * @description Created at or after
             */
            from?: string;
            /**
             * Format: date-time
             * @description Created before
             */
            to?: string;
        };
        PaymentFileItem: {
            payoutId: string;
            /** @description What the file and the bank’s result name the payout by (its id) */
            reference: string;
            partnerId: string;
            methodId: string;
            currency: string;
            amountToTransfer: string;
            /** @enum {string} */
            payoutStatus: "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED";
            failureCode: string | null;
        };
        PaymentFileCloseAccepted: {
            closeId: string;
            /** @description Payouts to be marked paid */
            paid: number;
            /** @description Payouts to be marked failed */
            failed: number;
            /** @description Named payouts already COMPLETED or FAILED: left as they are */
            alreadyDecided: number;
            /** @description Always empty: an unknown reference refuses the whole request (422) */
            unknown: string[];
        };
        ClosePaymentFileRequest: {
            /** @description The bank’s result file (docs/rules.md#payment-files): CSV with a header naming reference,status,failureCode,reason; status PAID or FAILED */
            resultFile?: string;
            /** @description References (payout ids) the bank paid */
            paid?: string[];
            failed?: {
                reference: string;
                /** @description INVALID_ACCOUNT, ACCOUNT_CLOSED, NAME_MISMATCH, PROVIDER_ERROR, TIMEOUT, LIMIT_EXCEEDED */
                failureCode: string;
                reason?: string;
            }[];
        };
        PaymentFileCloseProgress: {
            /** @enum {string} */
            status: "RUNNING" | "DONE";
            paid: number;
            failed: number;
            alreadyDecided: number;
            /** @description Decisions not yet answered by their payout */
            pending: number;
            refused: {
                payoutId: string;
                code: string;
                message: string;
            }[];
        };
        PaymentHistoryItem: {
            id: string;
            partnerId: string;
            partnerName: string;
            methodId: string;
            currency: string;
            amount: string;
            fee: string;
            amountToTransfer: string;
            /** @enum {string} */
            status: "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED";
            /** @description The payout’s own copy of the details it is paid to */
            paymentDetails: {
                [key: string]: string;
            };
            externalReference: string | null;
            providerReference: string | null;
            createdAt: string;
            closedAt: string | null;
            /** @description Which details differ from the previous completed payout’s copy (docs/rules.md#details-changed) */
            detailsChange: {
                changed: boolean;
                changedFields: string[];
                /** @description The partner’s previous COMPLETED payout by the same method */
                previousPayoutId: string | null;
            };
        };
        Notification: {
            id: string;
            /** @enum {string} */
            kind: "PAYOUT_REJECTED" | "PAYOUT_FAILED" | "PAYOUT_COMPLETED" | "PAYOUT_CANCELLED" | "PAYOUT_NEEDS_REVIEW" | "APPROVAL_REQUESTED" | "PARTNER_VALIDATION_REQUESTED" | "REFUND_REQUESTED" | "REFUND_DECIDED" | "COMMISSIONS_REVERSED" | "DEBT_LIMIT_REACHED" | "CHARGEBACK_OPENED" | "CHARGEBACK_DECIDED" | "CHARGEBACK_PENALTY" | "DISPUTE_OPENED" | "DISPUTE_INFORMATION_REQUESTED" | "DISPUTE_ESCALATED" | "DISPUTE_RESOLVED" | "ADJUSTMENT_POSTED" | "ADJUSTMENT_APPROVAL_REQUESTED" | "BULK_ADJUSTMENT_FINISHED" | "PAYMENT_DETAILS_CHANGED" | "PAYMENT_FILE_FAILURES" | "RECONCILIATION_VARIANCE" | "PAY_RUN_READY" | "PAY_RUN_APPROVED" | "PAY_RUN_PAID" | "PAY_RUN_FAILURES" | "PAYOUT_APPROVED" | "PAYOUT_IN_REVIEW" | "STATEMENT_EXCEPTIONS" | "AUDIT_FINDINGS";
            /** @enum {string} */
            recipientKind: "partner" | "admin_role";
            /** @description The partner it is addressed to (recipientKind partner) */
            partnerId: string | null;
            /** @description The admin roles it is addressed to (recipientKind admin_role) */
            recipientRoles: string[] | null;
            /** @description The addresses resolved when it was written; empty: undeliverable */
            recipients: string[];
            subject: string;
            text: string;
            /** @enum {string} */
            status: "PENDING" | "SENT" | "FAILED";
            /** @description SMTP attempts so far */
            attempts: number;
            lastError: string | null;
            createdAt: string;
            /** @description PENDING only: when delivery tries next */
            nextAttemptAt: string | null;
            lastAttemptAt: string | null;
            sentAt: string | null;
        };
        PaymentExclusion: {
            id: string;
            /** @enum {string} */
            matchField: "SOURCE_TYPE" | "SOURCE_ID";
            matchValue: string;
            from: string;
            to: string | null;
            reason: string;
            active: boolean;
            createdBy: string;
            createdAt: string;
            removal: {
                by: string;
                at: string;
                reason: string;
            } | null;
            /** @description APPROVED commissions this exclusion keeps out of the pay batch now, per currency (lists only) */
            withheld: {
                currency: string;
                commissions: number;
                amount: string;
            }[];
        };
        CreatePaymentExclusionRequest: {
            /**
             * @description SOURCE_TYPE: a whole source type; SOURCE_ID: one order, investment or profit distribution
             * @enum {string}
             */
            matchField: "SOURCE_TYPE" | "SOURCE_ID";
            /**
             * @description SOURCE_TYPE: one of PRODUCT, INVESTMENT, INVESTMENT_PROFIT, PORTFOLIO_YIELD, POOL; SOURCE_ID: the event's sourceId
             * @example PRODUCT
             */
            matchValue: string;
            /**
             * Format: date-time
             * @description Transactions completed at or after this time are excluded
             */
            from: string;
            /**
             * Format: date-time
             * @description Transactions completed before this time; null or omitted: no end
             */
            to?: string | null;
            /** @description Why: kept on the row and in the audit record */
            reason: string;
        };
        ProcessingSwitch: {
            paused: boolean;
            reason: string | null;
            changedBy: string | null;
            changedAt: string | null;
        };
        MethodSwitch: {
            methodId: string;
            name: string | null;
            /**
             * @description The method’s processing in the policy in force; null: not in it
             * @enum {string|null}
             */
            processing: "MANUAL" | "AUTOMATIC" | null;
            forceManual: boolean;
            /** @enum {string|null} */
            effectiveProcessing: "MANUAL" | "AUTOMATIC" | null;
            reason: string | null;
            changedBy: string | null;
            changedAt: string | null;
        };
        PartnerFreeze: {
            partnerId: string;
            frozen: boolean;
            /** @enum {string|null} */
            kind: "FRAUD_SUSPECTED" | "BALANCE_DISCREPANCY" | null;
            reason: string | null;
            changedBy: string | null;
            changedAt: string | null;
        };
        OpsSwitches: {
            processing: components["schemas"]["ProcessingSwitch"];
            methods: components["schemas"]["MethodSwitch"][];
            frozenPartners: components["schemas"]["PartnerFreeze"][];
        };
        FreezePartnerRequest: {
            /** @enum {string} */
            kind: "FRAUD_SUSPECTED" | "BALANCE_DISCREPANCY";
            /** @description Why: kept on the row and in the audit record */
            reason: string;
        };
        UnfreezePartnerRequest: {
            /** @description Why: kept on the row and in the audit record */
            reason: string;
        };
        PartnerFlag: {
            id: string;
            partnerId: string;
            /** @enum {string} */
            kind: "DEBT_LIMIT" | "CHARGEBACK" | "CHARGEBACK_WARNING" | "CHARGEBACK_MONITORING" | "ACCOUNT_REVIEW" | "OPEN_DISPUTE";
            /** @description While active, the payout checklist holds this partner’s payouts */
            holdsPayouts: boolean;
            /** @description What raised it: refund, chargeback, dispute, order-cancel, … */
            source: {
                type: string;
                id: string;
            };
            reason: string;
            raisedBy: string;
            raisedAt: string;
            expiresAt: string | null;
            active: boolean;
            clearance: {
                by: string;
                at: string;
                reason: string;
            } | null;
        };
        ClearPartnerFlagRequest: {
            reason: string;
        };
        Adjustment: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            partnerId: string;
            /** @enum {string} */
            type: "BONUS" | "ADJUSTMENT" | "OTHER";
            amount: string;
            currency: string;
            amountRub: string | null;
            /** @enum {string} */
            commissionStatus: "PENDING" | "APPROVED";
            reason: string;
            period: string | null;
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "POSTED" | "REJECTED" | "EXPIRED";
            needsSeniorApproval: boolean;
            createdBy: string;
            decidedBy: string | null;
            commissionId: string | null;
            entryId: string | null;
            documentation: {
                fileName: string;
                contentType: string;
                sha256: string;
            } | null;
            createdAt: string;
            postedAt: string | null;
        };
        CreateAdjustmentRequest: {
            partnerId: string;
            /** @enum {string} */
            type: "BONUS" | "ADJUSTMENT" | "OTHER";
            /** @example 25.00 */
            amount: string;
            /** @example USD */
            currency: string;
            /** @description Mandatory (docs/rules.md#manual-commissions) */
            reason: string;
            /**
             * @description PENDING: normal hold and release; APPROVED: paid by the next pay batch
             * @enum {string}
             */
            status: "PENDING" | "APPROVED";
            /** @description Period assignment, e.g. "2026-11" */
            period?: string;
            documentation?: {
                fileName: string;
                contentType: string;
                contentBase64: string;
            };
        };
        AdjustmentListItem: {
            id: string;
            partnerId: string;
            /** @enum {string} */
            type: "BONUS" | "ADJUSTMENT" | "OTHER";
            amount: string;
            currency: string;
            amountRub: string | null;
            /** @enum {string} */
            commissionStatus: "PENDING" | "APPROVED";
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "POSTED" | "REJECTED" | "EXPIRED";
            needsSeniorApproval: boolean;
            reason: string;
            createdBy: string;
            decidedBy: string | null;
            decidedAt: string | null;
            commissionId: string | null;
            workflowId: string;
            workflowUrl: string | null;
            createdAt: string;
        };
        AdjustmentPage: {
            data: components["schemas"]["AdjustmentListItem"][];
            nextCursor: string | null;
        };
        AdjustmentDecision: {
            reason?: string;
        };
        AdjustmentRejection: {
            reason: string;
        };
        BulkAdjustmentListItem: {
            id: string;
            /** @enum {string} */
            direction: "ADD" | "REMOVE";
            /** @enum {string} */
            amountKind: "FIXED" | "PERCENTAGE";
            value: string | null;
            currency: string;
            /** @enum {string} */
            targetKind: "IDS" | "FILTER" | "CSV";
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "EXECUTING" | "COMPLETED" | "REJECTED" | "EXPIRED";
            partners: number;
            affected: number;
            totalImpact: string;
            totalImpactRub: string | null;
            /** @enum {string} */
            tier: "STANDARD" | "SENIOR" | "FINANCE_DIRECTOR";
            processed: number;
            applied: number;
            skipped: number;
            appliedTotal: string;
            createdBy: string;
            decidedBy: string | null;
            createdAt: string;
            finishedAt: string | null;
            workflowId: string;
            workflowUrl: string | null;
        };
        BulkAdjustmentPage: {
            data: components["schemas"]["BulkAdjustmentListItem"][];
            nextCursor: string | null;
        };
        BulkAdjustment: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            /** @enum {string} */
            direction: "ADD" | "REMOVE";
            /** @enum {string} */
            amountKind: "FIXED" | "PERCENTAGE";
            value: string | null;
            currency: string;
            reason: string;
            period: string | null;
            /** @enum {string} */
            targetKind: "IDS" | "FILTER" | "CSV";
            target: {
                [key: string]: unknown;
            };
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "EXECUTING" | "COMPLETED" | "REJECTED" | "EXPIRED";
            partners: number;
            affected: number;
            totalImpact: string;
            totalImpactRub: string | null;
            /** @enum {string} */
            tier: "STANDARD" | "SENIOR" | "FINANCE_DIRECTOR";
            approverRoles: string[];
            createdBy: string;
            decidedBy: string | null;
            progress: {
                processed: number;
                applied: number;
                skipped: number;
                appliedTotal: string;
                percent: number;
            };
            createdAt: string;
            startedAt: string | null;
            finishedAt: string | null;
        };
        CreateBulkAdjustmentRequest: {
            /** @enum {string} */
            direction: "ADD" | "REMOVE";
            /**
             * @description FIXED: `value` per partner (or each CSV line’s amount); PERCENTAGE: `value` % of the partner’s available balance, ROUND_FLOOR to cents
             * @enum {string}
             */
            amountKind: "FIXED" | "PERCENTAGE";
            /** @example 25.00 */
            value?: string;
            /** @example USD */
            currency: string;
            reason: string;
            period?: string;
            target: {
                /** @enum {string} */
                kind: "IDS";
                partnerIds: string[];
            } | {
                /** @enum {string} */
                kind: "FILTER";
                ranks?: ("0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO")[];
                /** @description Default ACTIVE */
                statuses?: ("ACTIVE" | "SUSPENDED" | "TERMINATED")[];
                /** Format: date-time */
                joinedFrom?: string;
                /**
                 * Format: date-time
                 * @description Exclusive
                 */
                joinedTo?: string;
            } | {
                /** @enum {string} */
                kind: "CSV";
                /** @description Lines of partnerId[,amount] */
                csv: string;
            };
        };
        BulkAdjustmentPreview: {
            bulkId: string;
            partners: number;
            affected: number;
            skipped: number;
            totalImpact: string;
            totalImpactRub: string | null;
            currency: string;
            tier: string;
            approverRoles: string[];
            items: {
                partnerId: string;
                amount: string;
                status: string;
                skipReason: string | null;
            }[];
            offset: number;
            limit: number;
            nextOffset: number | null;
        };
        Clawback: {
            clawbackId: string;
            commissionId: string;
            amount: string;
            currency: string;
            full: boolean;
            statusBefore: string;
            commissionStatus: string;
            entryId: string;
        };
        ClawbackRequest: {
            /**
             * @description Absent: the full remaining amount
             * @example 25.00
             */
            amount?: string;
            reason: string;
        };
        Refund: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            orderId: string;
            /** @description The seller (the partner whose sale it was) */
            partnerId: string | null;
            customerId: string | null;
            amount: string;
            currency: string;
            orderTotal: string;
            /**
             * @description FULL: the whole order; PARTIAL: part of it
             * @enum {string}
             */
            type: "FULL" | "PARTIAL";
            /** @enum {string} */
            reason: "PRODUCT_DEFECTIVE" | "WRONG_ITEM" | "NOT_AS_DESCRIBED" | "BUYER_REMORSE" | "NON_DELIVERY" | "GOODWILL" | "PARTIAL_DAMAGE";
            /**
             * @description How the commissions are reversed on approval
             * @enum {string}
             */
            reversal: "FULL" | "PROPORTIONAL";
            note: string | null;
            /** @enum {string} */
            status: "PENDING" | "APPROVED" | "PROCESSED" | "REJECTED";
            /** @description PENDING past the policy’s refunds.decisionSla */
            overdue: boolean;
            requestedBy: string;
            requestedAt: string;
            decisionDueAt: string;
            decidedBy: string | null;
            decidedAt: string | null;
            decisionReason: string | null;
            processedAt: string | null;
            reversed: {
                entryId: string | null;
                count: number;
                total: string;
            };
        };
        CreateRefundRequest: {
            /** @description The order id its ORDER_COMPLETED event was reported with (`sourceId`) */
            orderId: string;
            /**
             * @description In the order’s currency. Absent: everything the order still has to refund (the whole order when nothing was refunded)
             * @example 25.00
             */
            amount?: string;
            /**
             * @description docs/rules.md#refund-reasons: PARTIAL_DAMAGE reverses proportionally, the others in full (a partial amount always proportionally)
             * @enum {string}
             */
            reason: "PRODUCT_DEFECTIVE" | "WRONG_ITEM" | "NOT_AS_DESCRIBED" | "BUYER_REMORSE" | "NON_DELIVERY" | "GOODWILL" | "PARTIAL_DAMAGE";
            note?: string;
        };
        RefundDetail: components["schemas"]["Refund"] & {
            order: {
                total: string;
                refunded: string;
                refundable: string;
                currency: string;
                cancelled: boolean;
            };
            /** @description Each commission the refund reversed (a partner sees only their own) */
            reversals: {
                commissionId: string;
                partnerId: string;
                level: number;
                /** @enum {string} */
                statusBefore: "PENDING" | "APPROVED" | "PAID";
                amount: string;
                currency: string;
            }[];
        };
        RefundApproval: {
            reason?: string;
        };
        RefundRejection: {
            reason: string;
        };
        Chargeback: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            providerReference: string;
            /** @enum {string} */
            source: "WEBHOOK" | "ADMIN";
            orderId: string;
            /** @description The seller (the partner whose sale it was) */
            partnerId: string | null;
            /** @description This is the seller’s Nth chargeback (the penalty matrix’s row) */
            partnerChargebackCount: number | null;
            customerId: string | null;
            amount: string;
            currency: string;
            orderTotal: string;
            reasonCode: string;
            note: string | null;
            /** @enum {string} */
            status: "OPEN" | "EVIDENCE_GATHERED" | "SUBMITTED_TO_PROVIDER" | "AWAITING_DECISION" | "WON" | "LOST" | "PARTIAL";
            openedBy: string;
            openedAt: string;
            /** @enum {string} */
            reversal: "FULL" | "PROPORTIONAL";
            reversed: {
                at: string | null;
                entryId: string | null;
                count: number;
                total: string;
            };
            penalty: {
                /** @enum {string|null} */
                kind: "WARNING" | "MONITORING" | "ACCOUNT_REVIEW" | "SUSPENSION" | null;
                appliedAt: string | null;
                monitoringEndsAt: string | null;
                monitoringEndedAt: string | null;
            };
            escalations: number;
            decision: {
                /** @enum {string} */
                outcome: "WON" | "LOST" | "PARTIAL";
                amountWon: string;
                decidedBy: string;
                decidedAt: string;
                note: string | null;
                recreditEntryId: string | null;
                recreditedTotal: string;
            } | null;
        };
        CreateChargebackRequest: {
            /** @description The order id its ORDER_COMPLETED event was reported with (`sourceId`) */
            orderId: string;
            /**
             * @description The amount charged back, in the order’s currency
             * @example 25.00
             */
            amount: string;
            /** @example USD */
            currency: string;
            /** @description The provider’s id of the chargeback: a second notice with it opens nothing */
            providerReference: string;
            /** @description The provider’s reason code (e.g. 10.4, 4837) */
            reasonCode: string;
            note?: string;
        };
        ChargebackDetail: components["schemas"]["Chargeback"] & {
            steps: {
                sequence: number;
                /** @enum {string} */
                step: "EVIDENCE_GATHERED" | "SUBMITTED_TO_PROVIDER" | "AWAITING_DECISION";
                note: string | null;
                recordedBy: string;
                recordedAt: string;
            }[];
            /** @description Each commission reversed at open and what the outcome gave back (a partner sees only their own) */
            reversals: {
                commissionId: string;
                partnerId: string;
                level: number;
                /** @enum {string} */
                statusBefore: "PENDING" | "APPROVED" | "PAID";
                amount: string;
                currency: string;
                recredited: string;
                /** @enum {string|null} */
                recreditStatus: "PENDING" | "APPROVED" | "PAID" | "SUPERSEDED" | null;
            }[];
            order: {
                total: string;
                refunded: string;
                refundable: string;
                currency: string;
            };
        };
        ChargebackStep: {
            /** @enum {string} */
            step: "EVIDENCE_GATHERED" | "SUBMITTED_TO_PROVIDER" | "AWAITING_DECISION";
            note?: string;
        };
        ChargebackDecision: {
            /** @enum {string} */
            outcome: "WON" | "LOST" | "PARTIAL";
            /**
             * @description PARTIAL only: the part of the chargeback amount won
             * @example 25.00
             */
            amountWon?: string;
            note?: string;
        };
        DisputeTimelineStep: {
            sequence: number;
            kind: string;
            /** @enum {string} */
            statusAfter: "OPEN" | "INFORMATION_REQUESTED" | "UNDER_REVIEW" | "ESCALATED" | "EXPLAINED" | "CLOSED";
            /** @enum {string|null} */
            resolution: "CORRECTION" | "EXPLANATION" | "GOODWILL" | "ESCALATION" | "REJECTION" | null;
            /** @enum {string|null} */
            errorKind: "CALCULATION" | "SYSTEM" | null;
            amount: string | null;
            currency: string | null;
            entryId: string | null;
            evidenceId: string | null;
            note: string | null;
            actor: string;
            actorRole: string | null;
            at: string;
        };
        DisputeEvidence: {
            id: string;
            text: string | null;
            file: {
                fileName: string;
                contentType: string;
                sizeBytes: number;
                sha256: string;
                url: string;
            } | null;
            uploadedBy: string;
            uploadedAt: string;
        };
        Dispute: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            partnerId: string;
            /** @enum {string} */
            type: "COMMISSION" | "REVERSAL" | "PAYOUT" | "RANK";
            transactionRef: string;
            transactionAt: string;
            transactionAmount: string | null;
            transactionCurrency: string | null;
            description: string;
            /** @enum {string} */
            status: "OPEN" | "INFORMATION_REQUESTED" | "UNDER_REVIEW" | "ESCALATED" | "EXPLAINED" | "CLOSED";
            /** @enum {string|null} */
            resolution: "CORRECTION" | "EXPLANATION" | "GOODWILL" | "ESCALATION" | "REJECTION" | null;
            resolutionNote: string | null;
            /** @enum {string|null} */
            automaticReason: "OUT_OF_WINDOW" | "NO_INFORMATION" | null;
            assigneeId: string | null;
            openedBy: string;
            openedRole: string;
            openedAt: string;
            informationDueAt: string | null;
            escalatedAt: string | null;
            explainedAt: string | null;
            closedAt: string | null;
            credited: {
                total: string;
                currency: string | null;
            };
            /** @description A CORRECTION or GOODWILL above the four-eyes threshold, waiting for a second person (approve/reject) */
            pendingResolution: {
                makerUserId: string;
                /** @enum {string} */
                resolution: "CORRECTION" | "EXPLANATION" | "GOODWILL" | "ESCALATION" | "REJECTION";
                /** @enum {string|null} */
                errorKind: "CALCULATION" | "SYSTEM" | null;
                amount: string | null;
                currency: string | null;
                amountRub: string | null;
                note: string;
                checkerRoles: string[];
                requestedAt: string;
            } | null;
        };
        DisputeDetail: components["schemas"]["Dispute"] & {
            timeline: components["schemas"]["DisputeTimelineStep"][];
            evidence: components["schemas"]["DisputeEvidence"][];
        };
        /** @description Without evidence the dispute waits for it (INFORMATION_REQUESTED) */
        DisputeEvidenceInput: {
            /** @description What supports the dispute, in words */
            text?: string;
            /** @description A PDF, PNG or JPEG of at most 5242880 bytes whose content matches its type */
            file?: {
                fileName: string;
                /** @enum {string} */
                contentType: "application/pdf" | "image/png" | "image/jpeg";
                contentBase64: string;
            };
        };
        CreateDisputeRequest: {
            /**
             * @description COMMISSION, REVERSAL (of a commission), PAYOUT, RANK
             * @enum {string}
             */
            type: "COMMISSION" | "REVERSAL" | "PAYOUT" | "RANK";
            /** @description A commission id (COMMISSION, REVERSAL), a payout id (PAYOUT) or a rank change id (RANK) — your own */
            transactionRef: string;
            description: string;
            evidence?: components["schemas"]["DisputeEvidenceInput"];
            /** @description Admins filing on a partner’s behalf; a partner files their own */
            partnerId?: string;
        };
        AssignDispute: {
            /**
             * Format: uuid
             * @description Omitted: claim it yourself
             */
            assigneeId?: string;
        };
        ResolveDispute: {
            /** @enum {string} */
            resolution: "CORRECTION" | "EXPLANATION" | "GOODWILL" | "ESCALATION" | "REJECTION";
            /**
             * @description CORRECTION: CALCULATION (closed) or SYSTEM (also escalated to a senior admin)
             * @enum {string}
             */
            errorKind?: "CALCULATION" | "SYSTEM";
            /**
             * @description CORRECTION: signed (credit or debit of available); GOODWILL: positive
             * @example 25.00
             */
            amount?: string;
            /**
             * @description Defaults to the transaction’s currency, else USD
             * @example USD
             */
            currency?: string;
            /** @description The explanation / what was corrected / the reason: shown to the partner */
            note: string;
        };
        RequestDisputeEscalation: {
            reason: string;
        };
        PayoutReportRow: {
            /** @description The period’s first day, YYYY-MM-DD (UTC) */
            bucket: string;
            status: string;
            methodId: string;
            currency: string;
            count: number;
            amount: string;
        };
        CommissionReportRow: {
            level: number;
            sourceType: string;
            currency: string;
            count: number;
            amount: string;
        };
        AuditTrailRecord: {
            id: string;
            action: string;
            actor: string;
            targetType: string;
            targetId: string;
            amount: string | null;
            currency: string | null;
            /** @description The partner balance before the action (decimal string); null when it moved none */
            balanceBefore: string | null;
            /** @description The same balance after the action */
            balanceAfter: string | null;
            /** @description Which account, owner:id:bucket:currency, when the database chose it */
            balanceAccount: string | null;
            reason: string | null;
            /** @description The client address of the person who acted; null for automatic steps */
            clientAddress: string | null;
            entryId: string | null;
            /** @description SHA-256 of the record’s content, hex */
            checksum: string;
            /** @description Whether the content still hashes to the checksum */
            checksumValid: boolean;
            createdAt: string;
        };
        CommissionSummaryReport: {
            /** @enum {string} */
            kind: "commissions";
            period: {
                from: string;
                to: string;
            };
            totals: {
                generated: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                approved: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                paid: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                reversed: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                net: {
                    currency: string;
                    amount: string;
                }[];
            };
            byLevel: {
                level: number;
                currency: string;
                generatedCount: number;
                generated: string;
                approved: string;
                paid: string;
                reversed: string;
                net: string;
                sharePercent: string | null;
            }[];
            bySource: {
                sourceType: string;
                /** @enum {string} */
                sourceGroup: "ORDER" | "INVESTMENT" | "OTHER";
                currency: string;
                generatedCount: number;
                generated: string;
                approved: string;
                paid: string;
                reversed: string;
                net: string;
                sharePercent: string | null;
            }[];
            daily: {
                day: string;
                currency: string;
                generatedCount: number;
                generated: string;
                approved: string;
                paid: string;
                reversed: string;
                net: string;
            }[];
            byPartner: {
                partners: number;
                rows: {
                    partnerId: string;
                    currency: string;
                    generatedCount: number;
                    generated: string;
                    reversed: string;
                    net: string;
                }[];
            };
            trend: {
                /** @enum {string} */
                bucket: "day" | "week" | "month";
                rows: {
                    start: string;
                    currency: string;
                    generated: string;
                    net: string;
                    changePercent: string | null;
                }[];
            };
        };
        PayoutSummaryReport: {
            /** @enum {string} */
            kind: "payouts";
            period: {
                from: string;
                to: string;
            };
            totals: {
                submitted: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                approved: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                processed: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                completed: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                failed: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                cancelled: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                rejected: {
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                totalAmount: {
                    currency: string;
                    amount: string;
                }[];
                averageAmount: {
                    currency: string;
                    amount: string;
                }[];
                processingTime: {
                    completed: number;
                    meanSeconds: string | null;
                    p90Seconds: string | null;
                };
            };
            daily: {
                day: string;
                currency: string;
                submitted: number;
                approved: number;
                processed: number;
                completed: number;
                failed: number;
                cancelled: number;
                completedAmount: string;
            }[];
            byMethod: {
                methodId: string;
                currency: string;
                submitted: number;
                completed: number;
                failed: number;
                cancelled: number;
                completedAmount: string;
                averageAmount: string | null;
                processingTime: {
                    completed: number;
                    meanSeconds: string | null;
                    p90Seconds: string | null;
                };
            }[];
            byStatus: {
                status: string;
                currency: string;
                count: number;
                amount: string;
            }[];
            byPartner: {
                partners: number;
                rows: {
                    partnerId: string;
                    currency: string;
                    submitted: number;
                    completed: number;
                    failed: number;
                    cancelled: number;
                    completedAmount: string;
                }[];
            };
            failures: {
                rows: {
                    failureCode: string;
                    methodId: string;
                    currency: string;
                    count: number;
                    amount: string;
                }[];
                failureRatePercent: {
                    currency: string;
                    percent: string | null;
                }[];
            };
        };
        StoredSummaryReport: {
            id: string;
            /** @enum {string} */
            kind: "commissions" | "payouts";
            /** @enum {string} */
            period: "DAILY" | "WEEKLY" | "MONTHLY" | "ON_DEMAND";
            from: string;
            to: string;
            requestedBy: string | null;
            sha256: {
                json: string;
                csv: string;
                pdf: string;
            };
            createdAt: string;
            files: {
                json: string;
                csv: string;
                pdf: string;
            };
        };
        ApiKey: {
            /** @description The public part of the key (`lf_<id>_…`): how it is listed, revoked and audited */
            id: string;
            name: string;
            scopes: ("events:write" | "events:read" | "reports:read")[];
            requestsPerMinute: number;
            /** @description A user id, or `system:cli` */
            createdBy: string;
            createdAt: string;
            /** @description The last call that passed the rate limit; null: never used */
            lastUsedAt: string | null;
            revokedBy: string | null;
            revokedAt: string | null;
        };
        CreateApiKeyRequest: {
            /** @example shop checkout */
            name: string;
            scopes: ("events:write" | "events:read" | "reports:read")[];
            /** @description The key's rate limit (a token bucket of this many calls, refilled at this rate); default 600 */
            requestsPerMinute?: number;
        };
        ReconciliationSummary: {
            day: string;
            /** @enum {string} */
            status: "AWAITING_SIGN_OFF" | "SIGNED";
            balanced: boolean;
            rebuildFindings: number;
            unexplained: number;
            signedBy: string | null;
            signedAt: string | null;
            archiveSha256: string | null;
        };
        ReconciliationReport: {
            day: string;
            /** @description Per owner type, bucket and currency: the sum of every posting before the day */
            opening: {
                ownerType: string;
                bucket: string;
                currency: string;
                amount: string;
            }[];
            movements: {
                ownerType: string;
                bucket: string;
                currency: string;
                amount: string;
                /** @description One of commissions_created, commissions_approved, commissions_paid, commissions_reversed, payouts_requested, payouts_completed, payouts_failed, payouts_cancelled, payouts_rejected, adjustments, bonuses, pools, refunds, chargebacks, fees, other */
                movement: string;
            }[];
            /** @description The stored (cached) balances less every posting after the day */
            closing: {
                ownerType: string;
                bucket: string;
                currency: string;
                amount: string;
            }[];
            /** @description opening + movements − closing; 0 on a healthy ledger */
            variance: {
                ownerType: string;
                bucket: string;
                currency: string;
                amount: string;
            }[];
            balanced: boolean;
        };
        ReconciliationFinding: {
            id: string;
            item: string;
            note: string;
            adjustmentId: string | null;
            recordedBy: string;
            recordedAt: string;
        };
        Reconciliation: {
            day: string;
            /** @enum {string} */
            status: "AWAITING_SIGN_OFF" | "SIGNED";
            /** @description Who ran it on demand (may not sign it); null when its Schedule ran it */
            requestedBy: string | null;
            computedAt: string;
            report: components["schemas"]["ReconciliationReport"];
            rebuildFindings: {
                check: string;
                subject: string;
                detail: {
                    [key: string]: unknown;
                };
            }[];
            /** @description Every non-zero variance line and rebuild finding: each needs a finding before sign-off */
            items: string[];
            unexplained: string[];
            findings: components["schemas"]["ReconciliationFinding"][];
            signedBy: string | null;
            signedRole: string | null;
            signedAt: string | null;
            archive: {
                fileName: string;
                sha256: string;
                archivedAt: string;
                fileUrl: string;
            } | null;
        };
        PayRun: {
            id: string;
            workflowId: string;
            workflowUrl: string | null;
            /** @enum {string} */
            status: "AWAITING_APPROVAL" | "DELIVERING" | "IN_PROGRESS" | "COMPLETED" | "COMPLETED_WITH_FAILURES" | "REJECTED" | "PREPARING";
            /** @enum {string} */
            source: "SCHEDULE" | "ADMIN";
            paymentDate: string | null;
            note: string | null;
            createdBy: string;
            createdAt: string;
            attempt: number;
            previousRunId: string | null;
            totals: {
                byCurrency: {
                    currency: string;
                    count: number;
                    amount: string;
                    fee: string;
                    amountToTransfer: string;
                    amountRub: string | null;
                }[];
                byMethod: {
                    methodId: string;
                    currency: string;
                    count: number;
                    amountToTransfer: string;
                    fundsDeclared: string | null;
                    fundsShort: string | null;
                    waitingForFunds: boolean;
                }[];
            };
            excluded: {
                reason: string;
                count: number;
            }[];
            runApproval: {
                required: boolean;
                roles: string[];
                approvedBy: string | null;
            };
            rejection: {
                by: string;
                reason: string | null;
            } | null;
            progress: {
                byPayoutStatus: {
                    [key: string]: number;
                };
                delivered: number;
                refused: number;
                pending: number;
            };
            decisions: {
                id: string;
                by: string;
                role: string;
                at: string;
                approved: number;
                refused: number;
            }[];
            finishedAt: string | null;
        };
        CreatePayRunRequest: {
            selection: {
                methodIds?: string[];
                currencies?: string[];
                partnerIds?: string[];
                payoutIds?: string[];
                /** Format: date-time */
                createdFrom?: string;
                /**
                 * Format: date-time
                 * @description Exclusive
                 */
                createdTo?: string;
            };
            note?: string;
        };
        PayRunDecision: {
            items: number;
            totals: {
                currency: string;
                count: number;
                amount: string;
            }[];
            itemsHash: string;
            /** @description The lines the hash is taken over: `payoutId,amount,detailsHash` per item, sorted, newline-separated */
            lines: string;
            refusedUpfront: {
                payoutId: string;
                code: string;
            }[];
        };
        PayRunDecisionAccepted: {
            decisionId: string;
            approving: number;
            refused: {
                payoutId: string;
                code: string;
                message: string;
            }[];
        };
        ApprovePayRunRequest: {
            itemsHash: string;
        };
        ExcludePayRunItemsRequest: {
            payoutIds: string[];
            reason: string;
        };
        RejectPayRunRequest: {
            reason: string;
        };
        PlatformFunds: {
            methodId: string;
            currency: string;
            available: string;
            declaredBy: string;
            declaredAt: string;
        };
        DeclarePlatformFundsRequest: {
            /** @example 25.00 */
            available: string;
        };
        StatementMatchingRule: {
            name: string;
            /** @enum {string} */
            shape: "one_to_one" | "one_to_many" | "many_to_one";
            matchReference: boolean;
            amountTolerance: string;
            dateToleranceDays: number;
            maxGroupSize?: number;
        };
        DayStatements: {
            day: string;
            statements: {
                id: string;
                /** @enum {string} */
                source: "provider" | "bank";
                origin: string;
                sha256: string | null;
                lineCount: number;
                receivedBy: string;
                receivedAt: string;
            }[];
            /** @description Sources with completed payouts on the day and no statement */
            missing: ("provider" | "bank")[];
            /** @description Per source and currency: the day’s completed payouts (amount transferred) against the statement lines */
            comparison: {
                /** @enum {string} */
                source: "provider" | "bank";
                currency: string;
                payouts: number;
                payoutsTotal: string;
                lines: number;
                linesTotal: string;
                difference: string;
            }[];
            lines: {
                id: string;
                statementId: string;
                /** @enum {string} */
                source: "provider" | "bank";
                lineRef: string;
                reference: string | null;
                amount: string;
                currency: string;
                valueDate: string;
                matchId: string | null;
            }[];
            matches: {
                id: string;
                /** @enum {string} */
                source: "provider" | "bank";
                rule: string;
                /** @enum {string} */
                shape: "one_to_one" | "one_to_many" | "many_to_one";
                difference: string;
                payoutIds: string[];
                lineIds: string[];
                matchedAt: string;
            }[];
            exceptions: {
                open: number;
                acknowledged: number;
                resolved: number;
                accepted: number;
            };
        };
        StatementException: {
            id: string;
            day: string;
            /** @enum {string} */
            source: "provider" | "bank";
            /** @enum {string} */
            kind: "UNMATCHED_PAYOUT" | "UNMATCHED_LINE" | "STATEMENT_MISSING";
            subject: string;
            payoutId: string | null;
            lineId: string | null;
            amount: string | null;
            currency: string | null;
            detail: string;
            /** @enum {string} */
            status: "OPEN" | "ACKNOWLEDGED" | "RESOLVED" | "ACCEPTED";
            createdAt: string;
            acknowledgedBy: string | null;
            acknowledgedAt: string | null;
            closedBy: string | null;
            closedAt: string | null;
            note: string | null;
            correctingEntryId: string | null;
            resolvedByMatchId: string | null;
        };
        AuditRunSummary: {
            id: string;
            /**
             * @description `transaction-sample` (weekly): a random 5 % sample of the week’s journal entries, reproducible from the recorded seed, each checked for balance and form; `balances` (monthly): every balance rebuilt from its postings and compared with the stored one (the ledger’s invariants); `commission-recalc` (monthly): a sample of the month’s commissions recalculated under the policy in force when their event completed, compared with what was posted; `large-payouts` (weekly): every payout above 100,000 RUB (equivalent): complete approval chain, distinct approvers, step-up recorded; `access-review` (quarterly): admins, roles, last sign-in and second factor, reviewed and signed off; `full-export` (annual): the year’s ledger, postings, audit log and approvals as CSV files with a manifest of SHA-256s
             * @enum {string}
             */
            kind: "transaction-sample" | "balances" | "commission-recalc" | "large-payouts" | "access-review" | "full-export";
            period: string;
            periodStart: string;
            periodEnd: string;
            /** @description The recorded seed of a sampling kind: re-running the sample from it yields the same set */
            seed: string | null;
            /** @enum {string} */
            status: "AWAITING_SIGN_OFF" | "SIGNED";
            /** @description Who started it on demand (may not sign it); null when its Schedule did */
            requestedBy: string | null;
            startedAt: string;
            finishedAt: string;
            /** @description SHA-256 of the run’s evidence and findings as computed (of the archive, for the export) */
            sha256: string;
            findings: {
                total: number;
                open: number;
            };
            signedBy: string | null;
            signedRole: string | null;
            signedAt: string | null;
            exportUrl: string | null;
        };
        AuditFinding: {
            id: string;
            check: string;
            subject: string;
            detail: {
                [key: string]: unknown;
            };
            /** @enum {string} */
            status: "OPEN" | "RESOLVED" | "ACCEPTED";
            note: string | null;
            resolvedBy: string | null;
            resolvedAt: string | null;
        };
        AuditRun: {
            id: string;
            /**
             * @description `transaction-sample` (weekly): a random 5 % sample of the week’s journal entries, reproducible from the recorded seed, each checked for balance and form; `balances` (monthly): every balance rebuilt from its postings and compared with the stored one (the ledger’s invariants); `commission-recalc` (monthly): a sample of the month’s commissions recalculated under the policy in force when their event completed, compared with what was posted; `large-payouts` (weekly): every payout above 100,000 RUB (equivalent): complete approval chain, distinct approvers, step-up recorded; `access-review` (quarterly): admins, roles, last sign-in and second factor, reviewed and signed off; `full-export` (annual): the year’s ledger, postings, audit log and approvals as CSV files with a manifest of SHA-256s
             * @enum {string}
             */
            kind: "transaction-sample" | "balances" | "commission-recalc" | "large-payouts" | "access-review" | "full-export";
            period: string;
            periodStart: string;
            periodEnd: string;
            /** @description The recorded seed of a sampling kind: re-running the sample from it yields the same set */
            seed: string | null;
            /** @enum {string} */
            status: "AWAITING_SIGN_OFF" | "SIGNED";
            /** @description Who started it on demand (may not sign it); null when its Schedule did */
            requestedBy: string | null;
            startedAt: string;
            finishedAt: string;
            /** @description SHA-256 of the run’s evidence and findings as computed (of the archive, for the export) */
            sha256: string;
            findings: {
                total: number;
                open: number;
            };
            signedBy: string | null;
            signedRole: string | null;
            signedAt: string | null;
            exportUrl: string | null;
            /** @description What the run examined */
            report: {
                [key: string]: unknown;
            };
            findingList: components["schemas"]["AuditFinding"][];
        };
        PoolPeriodPreview: {
            /** @enum {string} */
            frequency: "WEEKLY" | "MONTHLY";
            periodStart: string;
            periodEnd: string;
            policyVersion: number;
            currency: string;
            /** @description How each amount is rounded */
            rounding: {
                poolAmount: string;
                share: string;
                remainder: string;
            };
            pools: {
                pool: string;
                turnover: string;
                turnoverShare: string;
                poolAmount: string;
                candidates: number;
                qualifiedCount: number;
                share: string;
                remainder: string;
                qualified: {
                    partnerId: string;
                    rank: string;
                    share: string;
                    volume: {
                        requirement: string;
                        legCap: string;
                        personal: string;
                        structure: string;
                        counted: string;
                        legs: number;
                        largestLeg: string;
                    } | null;
                }[];
                /** @description The run already recorded for the period, or null */
                run: {
                    runId: string;
                    entryId: string | null;
                    poolAmount: string;
                    qualified: number;
                    share: string;
                    remainder: string;
                    policyVersion: number;
                } | null;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Everything is up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description A component is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    logIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: string;
                        expiresAt: string;
                        user: {
                            id: string;
                            email: string;
                            /** @enum {string} */
                            role: "partner" | "admin" | "senior_admin" | "finance_manager" | "finance_director" | "financial_support";
                            partnerId: string | null;
                        };
                    };
                };
            };
            /** @description Malformed body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong email, password or TOTP code, or a disabled or locked account: one answer for all */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed sign-ins of this account or from this address: wait Retry-After seconds */
            429: {
                headers: {
                    "Retry-After": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    logOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid session token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCurrentUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        email: string;
                        /** @enum {string} */
                        role: "partner" | "admin" | "senior_admin" | "finance_manager" | "finance_director" | "financial_support";
                        partnerId: string | null;
                    };
                };
            };
            /** @description No valid session token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    unlockUser: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account is unlocked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UnlockedUser"];
                };
            };
            /** @description Malformed user id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No valid session token, or no valid TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The role may not unlock users */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPartners: {
        parameters: {
            query: {
                q: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of partners */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Partner"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPartner: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePartnerRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Partner"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The id is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sponsor does not exist */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The partner */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Partner"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartnerBalances: {
        parameters: {
            query?: {
                asOf?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Balances */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Balances"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartnerLedger: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of postings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        postings: components["schemas"]["Posting"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartnerUpline: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The upline */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        partnerId: string;
                        upline: components["schemas"]["UplineMember"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartnerDownline: {
        parameters: {
            query?: {
                maxDepth?: number;
                limit?: number;
                after?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the downline */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        partnerId: string;
                        members: components["schemas"]["DownlineMember"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPartnerChanges: {
        parameters: {
            query?: {
                field?: "rank" | "status" | "kycStatus";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of changes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changes: components["schemas"]["PartnerChange"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPartnerChange: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordPartnerChangeRequest"];
            };
        };
        responses: {
            /** @description Recorded */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PartnerChange"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Effective before the field’s last change (out_of_order), or the value is already current (no_change) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listBonuses: {
        parameters: {
            query: {
                status: "AWAITING_APPROVAL";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Bonuses */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        bonuses: components["schemas"]["Bonus"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createBonus: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateBonusRequest"];
            };
        };
        responses: {
            /** @description Accepted; the workflow posts it */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Bonus"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Same Idempotency-Key still in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown partner, or Idempotency-Key reused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable; nothing was posted (retry with the same Idempotency-Key) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveBonus: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["BonusDecisionRequest"];
            };
        };
        responses: {
            /** @description The bonus after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Bonus"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bonus */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The bonus is not AWAITING_APPROVAL */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable; nothing was decided */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectBonus: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["BonusDecisionRequest"];
            };
        };
        responses: {
            /** @description The bonus after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Bonus"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bonus */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The bonus is not AWAITING_APPROVAL */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable; nothing was decided */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getBonus: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bonus */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Bonus"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bonus */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createEvent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CommissionEvent"];
            };
        };
        responses: {
            /** @description Already received with the same content: nothing changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventResult"];
                };
            };
            /** @description Processed: commissions posted to commission_pending (or, ORDER_CANCELLED, reversed) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventResult"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The externalId was received with different content, or the order already completed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown partner or order, or no exchange rate for the completion time */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    bulkCreateEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    events: unknown[];
                };
            };
        };
        responses: {
            /** @description Per-line results and counts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        processed: number;
                        duplicates: number;
                        rejected: number;
                        results: components["schemas"]["EventResult"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                externalId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommissionEventDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such event */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listCommissions: {
        parameters: {
            query?: {
                status?: "PENDING" | "APPROVED" | "PAID" | "REVERSED" | "HELD";
                partnerId?: string;
                sourceType?: "PRODUCT" | "INVESTMENT" | "INVESTMENT_PROFIT" | "PORTFOLIO_YIELD" | "POOL";
                incomeType?: number;
                level?: number;
                levelMin?: number;
                from?: string;
                to?: string;
                minAmount?: string;
                maxAmount?: string;
                limit?: number;
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        commissions: components["schemas"]["Commission"][];
                        next: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCommission: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The commission */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Commission"] & {
                        breakdown: {
                            [key: string]: unknown;
                        };
                        history: {
                            action: string;
                            at: string;
                            actor: string;
                            amount: string | null;
                            reason: string | null;
                            entryId: string | null;
                        }[];
                        partner: {
                            id: string;
                            name: string;
                            rank: string;
                        };
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such commission */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createCommissionRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    kind: "release" | "pay-batch";
                };
            };
        };
        responses: {
            /** @description Started */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workflowId: string;
                        workflowUrl: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPolicy: {
        parameters: {
            query?: {
                at?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyVersion"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPolicyVersions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Versions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        versions: components["schemas"]["PolicyVersion"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPolicyVersion: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Format: date-time */
                    effectiveFrom: string;
                    reason: string;
                    /** @description The whole policy document (its version number is assigned) */
                    policy: Record<string, never>;
                };
            };
        };
        responses: {
            /** @description Added */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyVersion"];
                };
            };
            /** @description It moves a limit: PENDING until a second person approves it */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyChangeRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The document is invalid (the field is named), or effectiveFrom is not after the latest version */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPolicyChangeRequests: {
        parameters: {
            query?: {
                status?: "PENDING" | "APPROVED" | "REJECTED";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Requests */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        requests: components["schemas"]["PolicyChangeRequest"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approvePolicyChange: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyChangeRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such request */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The request is not PENDING, or (approve) another policy version was added after it was requested */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectPolicyChange: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyChangeRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such request */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The request is not PENDING, or (approve) another policy version was added after it was requested */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listFxRates: {
        parameters: {
            query?: {
                currency?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Rates, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rates: components["schemas"]["FxRate"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createFxRate: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @example USD */
                    currency: string;
                    usdRate: string;
                    /** Format: date-time */
                    effectiveAt: string;
                };
            };
        };
        responses: {
            /** @description Applied */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FxRateRequest"];
                };
            };
            /** @description Outside the band: PENDING until a second person approves it */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FxRateRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A rate for that currency and time exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listFxRateRequests: {
        parameters: {
            query?: {
                status?: "PENDING" | "APPLIED" | "REJECTED";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Requests */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        requests: components["schemas"]["FxRateRequest"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveFxRate: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FxRateRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such request */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The request is not PENDING, or a rate for that currency and time exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectFxRate: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The request after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FxRateRequest"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such request */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The request is not PENDING, or a rate for that currency and time exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPayouts: {
        parameters: {
            query?: {
                status?: string;
                partnerId?: string;
                methodId?: string;
                priority?: "HIGH" | "NORMAL" | "REVIEW";
                rank?: "0" | "1" | "2" | "3" | "4" | "4_PRO" | "5" | "5_PRO" | "6" | "6_PRO" | "7" | "7_PRO" | "8" | "8_PRO" | "9" | "9_PRO" | "10" | "10_PRO" | "11" | "11_PRO";
                minAmount?: string;
                maxAmount?: string;
                from?: string;
                to?: string;
                assignedTo?: string | "none";
                slaBreached?: "true" | "false";
                needsReview?: "true" | "false";
                sort?: "sla_due_at" | "created_at" | "amount";
                order?: "asc" | "desc";
                limit?: number;
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        payouts: components["schemas"]["Payout"][];
                        next: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePayoutRequest"];
            };
        };
        responses: {
            /** @description Requested (the amount is reserved), or drafted */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An active payout exists for this partner and currency, or the Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown partner or method, below the minimum, or not enough available balance */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable; the reservation was undone */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    bulkCreatePayouts: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BulkPayoutRequest"];
            };
        };
        responses: {
            /** @description One result per line, in order */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        created: number;
                        refused: number;
                        results: components["schemas"]["BulkPayoutResult"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    submitPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    discardPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DiscardPayoutDraftRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayout: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The payout */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    assignPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AssignPayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approvePayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApprovePayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RejectPayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CancelPayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    releasePayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    processPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProcessPayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    completePayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    failPayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FailPayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    validatePayout: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ValidatePayoutRequest"];
            };
        };
        responses: {
            /** @description The payout after the validation */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Payout"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout’s state does not allow it, or what the approver saw changed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Refused by the lifecycle */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadPayoutInvoice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": string;
                    "image/png": string;
                    "image/jpeg": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout, or no invoice uploaded */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    uploadPayoutInvoice: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["PayoutInvoiceUpload"];
            };
        };
        responses: {
            /** @description The same file is already the current invoice; nothing changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutInvoice"] & Record<string, never>;
                };
            };
            /** @description Uploaded: now the current invoice */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutInvoice"] & Record<string, never>;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout does not wait for its partner, or the partner validated it already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The file is larger than 5 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not multipart/form-data, or the file is not a PDF, PNG or JPEG */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadPayoutConfirmation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": string;
                    "image/png": string;
                    "image/jpeg": string;
                };
            };
            /** @description Malformed request; `field` names it */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout (or no confirmation uploaded) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    uploadPayoutConfirmation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["PayoutConfirmationUpload"];
            };
        };
        responses: {
            /** @description The same file is already the current confirmation; nothing changed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutConfirmation"];
                };
            };
            /** @description Uploaded: now the current confirmation */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutConfirmation"];
                };
            };
            /** @description Malformed request; `field` names it */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout (or no confirmation uploaded) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The payout is neither PROCESSING nor COMPLETED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The file is larger than 5 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not multipart/form-data, or the file is not a PDF, PNG or JPEG */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPayoutBatches: {
        parameters: {
            query?: {
                methodId?: string;
                status?: "SENDING" | "SENT";
                before?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        batches: components["schemas"]["PayoutBatch"][];
                        next: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayoutBatch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The batch */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutBatch"] & {
                        items: components["schemas"]["PayoutBatchItem"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such batch */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPaymentMethods: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Methods */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        methods: components["schemas"]["PaymentMethod"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner or method */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPartnerPaymentMethods: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Saved methods */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        methods: components["schemas"]["SavedPaymentMethod"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner or method */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPaymentDetailsChanges: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Changes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        changes: components["schemas"]["PaymentDetailsChange"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner or method */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updatePartnerPaymentMethod: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
                methodId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    details: {
                        [key: string]: string;
                    };
                };
            };
        };
        responses: {
            /** @description Saved */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SavedPaymentMethod"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner or method */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMyTotp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Status */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TotpStatus"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    startTotpEnrolment: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                };
            };
        };
        responses: {
            /** @description A pending secret; confirm it with a code */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TotpEnrolment"];
                };
            };
            /** @description Malformed request, or a wrong code */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong password */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already enrolled, or no enrolment started */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    confirmTotpEnrolment: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    code: string;
                };
            };
        };
        responses: {
            /** @description Enrolled */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TotpStatus"];
                };
            };
            /** @description Malformed request, or a wrong code */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong password */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already enrolled, or no enrolment started */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPartnerNextPayment: {
        parameters: {
            query?: {
                date?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The next payment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NextPayment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayoutSchedulePreview: {
        parameters: {
            query?: {
                date?: string;
                limit?: number;
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page, by partner id */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutSchedulePreview"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPayoutExports: {
        parameters: {
            query?: {
                kind?: "CSV_ALL" | "CSV_NEW" | "PAYQUICKER" | "METHOD_BATCH";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of exports */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        exports: components["schemas"]["PayoutExport"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPayoutExport: {
        parameters: {
            query?: never;
            header?: {
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePayoutExportRequest"];
            };
        };
        responses: {
            /** @description Recorded; download it from fileUrl */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutExport"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown method, a method without the details the file needs, mixed currencies, or too many payouts */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayoutExport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutExport"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such export */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPaymentFileItems: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the file’s payouts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["PaymentFileItem"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such export */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    closePaymentFile: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClosePaymentFileRequest"];
            };
        };
        responses: {
            /** @description Recorded; the decisions are being delivered */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaymentFileCloseAccepted"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such export */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The file is still locking, another close of it runs, or the Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not a payment file, or a line or reference that cannot be applied (named); nothing changed */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPaymentFileClose: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                closeId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The close’s progress */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaymentFileCloseProgress"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such export or close */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadPayoutExport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such export */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPaymentHistory: {
        parameters: {
            query?: {
                q?: string;
                partnerId?: string;
                methodId?: string;
                status?: "REQUESTED" | "HELD" | "AWAITING_PARTNER" | "AWAITING_APPROVAL" | "APPROVED" | "PROCESSING" | "COMPLETED" | "REJECTED" | "CANCELLED" | "FAILED";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of payouts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        payments: components["schemas"]["PaymentHistoryItem"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listNotifications: {
        parameters: {
            query?: {
                partnerId?: string;
                kind?: "PAYOUT_REJECTED" | "PAYOUT_FAILED" | "PAYOUT_COMPLETED" | "PAYOUT_CANCELLED" | "PAYOUT_NEEDS_REVIEW" | "APPROVAL_REQUESTED" | "PARTNER_VALIDATION_REQUESTED" | "REFUND_REQUESTED" | "REFUND_DECIDED" | "COMMISSIONS_REVERSED" | "DEBT_LIMIT_REACHED" | "CHARGEBACK_OPENED" | "CHARGEBACK_DECIDED" | "CHARGEBACK_PENALTY" | "DISPUTE_OPENED" | "DISPUTE_INFORMATION_REQUESTED" | "DISPUTE_ESCALATED" | "DISPUTE_RESOLVED" | "ADJUSTMENT_POSTED" | "ADJUSTMENT_APPROVAL_REQUESTED" | "BULK_ADJUSTMENT_FINISHED" | "PAYMENT_DETAILS_CHANGED" | "PAYMENT_FILE_FAILURES" | "RECONCILIATION_VARIANCE" | "PAY_RUN_READY" | "PAY_RUN_APPROVED" | "PAY_RUN_PAID" | "PAY_RUN_FAILURES" | "PAYOUT_APPROVED" | "PAYOUT_IN_REVIEW" | "STATEMENT_EXCEPTIONS" | "AUDIT_FINDINGS";
                status?: "PENDING" | "SENT" | "FAILED";
                limit?: number;
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        notifications: components["schemas"]["Notification"][];
                        next: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    receiveProviderWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Received */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        received: true;
                    };
                };
            };
            /** @description Signed, but not a provider event */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing, stale or wrong X-Sandbox-Signature */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payout, or the key is not one of its attempts */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No webhook secret configured, or Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPaymentExclusions: {
        parameters: {
            query?: {
                active?: "true" | "false";
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Exclusions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        exclusions: components["schemas"]["PaymentExclusion"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPaymentExclusion: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePaymentExclusionRequest"];
            };
        };
        responses: {
            /** @description Added */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaymentExclusion"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Same Idempotency-Key still in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Idempotency-Key reused */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    removePaymentExclusion: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Why: kept on the row and in the audit record */
                    reason: string;
                };
            };
        };
        responses: {
            /** @description Removed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        exclusion: components["schemas"]["PaymentExclusion"];
                        /** @description false: the switch was in that state already; nothing changed and nothing was audited */
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such exclusion */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpsSwitches: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switches */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpsSwitches"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateProcessingSwitch: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    paused: boolean;
                    /** @description Why: kept on the row and in the audit record */
                    reason: string;
                };
            };
        };
        responses: {
            /** @description The switch after the change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProcessingSwitch"] & {
                        /** @description false: the switch was in that state already; nothing changed and nothing was audited */
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateMethodSwitch: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                methodId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    forceManual: boolean;
                    /** @description Why: kept on the row and in the audit record */
                    reason: string;
                };
            };
        };
        responses: {
            /** @description The switch after the change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MethodSwitch"] & {
                        /** @description false: the switch was in that state already; nothing changed and nothing was audited */
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such payment method in the policy in force */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    freezePartner: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FreezePartnerRequest"];
            };
        };
        responses: {
            /** @description The partner’s freeze after the change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PartnerFreeze"] & {
                        /** @description false: the switch was in that state already; nothing changed and nothing was audited */
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    unfreezePartner: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UnfreezePartnerRequest"];
            };
        };
        responses: {
            /** @description The partner’s freeze after the change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PartnerFreeze"] & {
                        /** @description false: the switch was in that state already; nothing changed and nothing was audited */
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPartnerFlags: {
        parameters: {
            query?: {
                active?: "true" | "false";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Flags */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["PartnerFlag"][];
                    };
                };
            };
            /** @description Invalid input; `field` names it */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing, wrong or used */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    clearPartnerFlag: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                flagId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClearPartnerFlagRequest"];
            };
        };
        responses: {
            /** @description The cleared flag, and the HELD payouts told to re-check */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PartnerFlag"] & {
                        nudgedPayouts: string[];
                    };
                };
            };
            /** @description Invalid input; `field` names it */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing, wrong or used */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such flag */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Cleared already, or owned by a running lifecycle */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAdjustments: {
        parameters: {
            query?: {
                status?: "AWAITING_APPROVAL" | "POSTED" | "REJECTED" | "EXPIRED";
                type?: "BONUS" | "ADJUSTMENT" | "OTHER";
                partnerId?: string;
                createdBy?: string;
                from?: string;
                to?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdjustmentPage"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAdjustmentRequest"];
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Adjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Same Idempotency-Key still in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown partner */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAdjustment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The adjustment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Adjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadAdjustmentDocumentation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such adjustment or no documentation */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["AdjustmentDecision"];
            };
        };
        responses: {
            /** @description Approved and posted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Adjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not awaiting approval */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdjustmentRejection"];
            };
        };
        responses: {
            /** @description Rejected */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Adjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not awaiting approval */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listBulkAdjustments: {
        parameters: {
            query?: {
                status?: "AWAITING_APPROVAL" | "EXECUTING" | "COMPLETED" | "REJECTED" | "EXPIRED";
                createdBy?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustmentPage"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createBulkAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateBulkAdjustmentRequest"];
            };
        };
        responses: {
            /** @description Created, awaiting approval */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown partner, duplicate, or nobody selected */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getBulkAdjustment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bulk adjustment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bulk adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getBulkAdjustmentPreview: {
        parameters: {
            query?: {
                offset?: number | null;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The preview */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustmentPreview"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bulk adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveBulkAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["AdjustmentDecision"];
            };
        };
        responses: {
            /** @description Approved; executing */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bulk adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not awaiting approval */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectBulkAdjustment: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdjustmentRejection"];
            };
        };
        responses: {
            /** @description Rejected */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkAdjustment"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bulk adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not awaiting approval */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadBulkAdjustmentReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description CSV */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such bulk adjustment */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    clawBackCommission: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClawbackRequest"];
            };
        };
        responses: {
            /** @description Clawed back */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Clawback"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such commission */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already REVERSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Amount beyond what is left */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRefunds: {
        parameters: {
            query?: {
                status?: "PENDING" | "APPROVED" | "PROCESSED" | "REJECTED";
                reason?: "PRODUCT_DEFECTIVE" | "WRONG_ITEM" | "NOT_AS_DESCRIBED" | "BUYER_REMORSE" | "NON_DELIVERY" | "GOODWILL" | "PARTIAL_DAMAGE";
                orderId?: string;
                partnerId?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Refund"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, or the requester approving their own refund) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createRefund: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateRefundRequest"];
            };
        };
        responses: {
            /** @description Recorded, PENDING an admin’s decision */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refund"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, or the requester approving their own refund) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Beyond what is left to refund, the order was cancelled, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Amount finer than the order’s currency, or the Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRefund: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The refund */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RefundDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, or the requester approving their own refund) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such refund */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveRefund: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RefundApproval"];
            };
        };
        responses: {
            /** @description Approved and processed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RefundDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, or the requester approving their own refund) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such refund */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not PENDING, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectRefund: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefundRejection"];
            };
        };
        responses: {
            /** @description Rejected */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RefundDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, or the requester approving their own refund) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such refund */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not PENDING, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listChargebacks: {
        parameters: {
            query?: {
                status?: "OPEN" | "EVIDENCE_GATHERED" | "SUBMITTED_TO_PROVIDER" | "AWAITING_DECISION" | "WON" | "LOST" | "PARTIAL";
                orderId?: string;
                partnerId?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Chargeback"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createChargeback: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateChargebackRequest"];
            };
        };
        responses: {
            /** @description A duplicate notice: the chargeback it names */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chargeback"] & {
                        /** @description The provider reference was known: nothing new was opened */
                        duplicate: boolean;
                    };
                };
            };
            /** @description Opened */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Chargeback"] & {
                        /** @description The provider reference was known: nothing new was opened */
                        duplicate: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown order */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Beyond what is left of the order, the order cancelled, the reference names another order, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Currency or amount not the order’s, or the Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getChargeback: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The chargeback */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChargebackDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such chargeback */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createChargebackStep: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChargebackStep"];
            };
        };
        responses: {
            /** @description Recorded */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChargebackDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such chargeback */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Decided, or a step behind the current one */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createChargebackDecision: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChargebackDecision"];
            };
        };
        responses: {
            /** @description Decided */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChargebackDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such chargeback */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Decided already, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description amountWon out of range, or the Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    receiveChargebackWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Received */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {boolean} */
                        received: true;
                        chargebackId: string;
                        duplicate: boolean;
                    };
                };
            };
            /** @description Signed, but not a chargeback event */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing, stale or wrong X-Sandbox-Signature */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown order or provider reference */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Beyond what is left of the order, or decided otherwise already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Currency or amount not the order’s */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No webhook secret configured, or Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listDisputes: {
        parameters: {
            query?: {
                status?: "OPEN" | "INFORMATION_REQUESTED" | "UNDER_REVIEW" | "ESCALATED" | "EXPLAINED" | "CLOSED";
                type?: "COMMISSION" | "REVERSAL" | "PAYOUT" | "RANK";
                partnerId?: string;
                assigneeId?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Dispute"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createDispute: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateDisputeRequest"];
            };
        };
        responses: {
            /** @description Recorded; the workflow takes the decision tree’s first step */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such transaction of this partner */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Evidence file too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The evidence file is not what its type says */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getDispute: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The dispute */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createDisputeEvidence: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DisputeEvidenceInput"];
            };
        };
        responses: {
            /** @description Recorded */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The dispute is closed or explained */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description File too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The file is not what its type says */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadDisputeEvidence: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                evidenceId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": string;
                    "image/png": string;
                    "image/jpeg": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute or evidence file */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    assignDispute: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["AssignDispute"];
            };
        };
        responses: {
            /** @description Assigned */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not under review or escalated */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The assignee cannot review disputes */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    resolveDispute: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResolveDispute"];
            };
        };
        responses: {
            /** @description Resolved */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not in a state that takes a resolution, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Amount or error kind wrong for the resolution, or the Idempotency-Key reused with another request */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approveDisputeResolution: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Decided */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No resolution is waiting */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectDisputeResolution: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Decided */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No resolution is waiting */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    escalateDispute: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RequestDisputeEscalation"];
            };
        };
        responses: {
            /** @description Escalated */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeDetail"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such dispute */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not EXPLAINED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayoutsByStatusMethodReport: {
        parameters: {
            query: {
                from: string;
                to: string;
                bucket?: "day" | "week" | "month";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Rows, oldest period first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rows: components["schemas"]["PayoutReportRow"][];
                    };
                };
            };
            /** @description Malformed query */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCommissionsByLevelSourceReport: {
        parameters: {
            query: {
                from: string;
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Rows by level */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rows: components["schemas"]["CommissionReportRow"][];
                    };
                };
            };
            /** @description Malformed query */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAuditTrailReport: {
        parameters: {
            query?: {
                targetType?: "payout" | "partner" | "commission";
                targetId?: string;
                partnerId?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Records */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        records: components["schemas"]["AuditTrailRecord"][];
                    };
                };
            };
            /** @description Malformed query */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCommissionSummaryReport: {
        parameters: {
            query: {
                from: string;
                to: string;
                format?: "json" | "csv" | "pdf";
                partnerRows?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The report (JSON), or its CSV or PDF as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommissionSummaryReport"];
                    "text/csv": string;
                    "application/pdf": string;
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayoutSummaryReport: {
        parameters: {
            query: {
                from: string;
                to: string;
                format?: "json" | "csv" | "pdf";
                partnerRows?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The report (JSON), or its CSV or PDF as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayoutSummaryReport"];
                    "text/csv": string;
                    "application/pdf": string;
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSummaryReports: {
        parameters: {
            query?: {
                kind?: "commissions" | "payouts";
                period?: "DAILY" | "WEEKLY" | "MONTHLY" | "ON_DEMAND";
                limit?: number;
                before?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of reports */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        reports: components["schemas"]["StoredSummaryReport"][];
                        nextBefore: string | null;
                    };
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createSummaryReport: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    kind: "commissions" | "payouts";
                    /**
                     * Format: date-time
                     * @description Start of the period, inclusive (an ISO 8601 instant)
                     */
                    from: string;
                    /**
                     * Format: date-time
                     * @description End of the period, exclusive; at most 366 days after from
                     */
                    to: string;
                };
            };
        };
        responses: {
            /** @description Stored */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StoredSummaryReport"];
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSummaryReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The report */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StoredSummaryReport"];
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such report */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadSummaryReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                format: "json" | "csv" | "pdf";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/csv": string;
                    "application/pdf": string;
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such report */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadReconciliationArchivePdf: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The PDF (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": string;
                };
            };
            /** @description Malformed query, or a range that is reversed or longer than the maximum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Admins only */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is not signed off */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ApiKey"][];
                    };
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKeyRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"] & {
                        /** @description The key itself, shown this once */
                        key: string;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApiKeyCalls: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The calls */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            id: string;
                            calledAt: string;
                            method: string;
                            path: string;
                            status: number;
                            ip: string | null;
                        }[];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such key */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        apiKey: components["schemas"]["ApiKey"];
                        changed: boolean;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such key */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listReconciliations: {
        parameters: {
            query?: {
                limit?: number;
                before?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of days */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        reconciliations: components["schemas"]["ReconciliationSummary"][];
                        nextBefore: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    runReconciliation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description A UTC calendar day, YYYY-MM-DD
                     * @example 2026-12-05
                     */
                    date: string;
                };
            };
        };
        responses: {
            /** @description Running (or already run): the workflow and where the report will be */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        day: string;
                        workflowId: string;
                        workflowUrl: string | null;
                        reconciliationUrl: string;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReconciliation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The day */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reconciliation"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is not reconciled (yet) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    recordReconciliationFinding: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description One of the day’s `items` */
                    item: string;
                    note: string;
                    /**
                     * Format: uuid
                     * @description The adjustment that corrects it (in an open day)
                     */
                    adjustmentId?: string;
                };
            };
        };
        responses: {
            /** @description Recorded */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReconciliationFinding"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is not reconciled */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is already signed off */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    signOffReconciliation: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed, archived and sealed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reconciliation"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is not reconciled */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already signed, or items without a finding */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadReconciliationArchive: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The CSV (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is not signed off */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored file no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPayRuns: {
        parameters: {
            query?: {
                status?: "AWAITING_APPROVAL" | "DELIVERING" | "IN_PROGRESS" | "COMPLETED" | "COMPLETED_WITH_FAILURES" | "REJECTED" | "PREPARING";
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        payRuns: components["schemas"]["PayRun"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPayRun: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePayRunRequest"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Nothing selected */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The pay run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPayRunItems: {
        parameters: {
            query?: {
                state?: "INCLUDED" | "EXCLUDED" | "APPROVED" | "REFUSED";
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            payoutId: string;
                            partnerId: string;
                            partnerName: string;
                            methodId: string;
                            currency: string;
                            amount: string;
                            detailsHash: string;
                            /** @enum {string} */
                            state: "INCLUDED" | "EXCLUDED" | "APPROVED" | "REFUSED";
                            reason: string | null;
                            payoutStatus: string;
                            /** @description The admin’s words for an exclusion or rejection, or the payout’s refusal message */
                            note: string | null;
                        }[];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPayRunDecision: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRunDecision"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approvePayRun: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApprovePayRunRequest"];
            };
        };
        responses: {
            /** @description Recorded; being delivered */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRunDecisionAccepted"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Items changed, or nothing to approve */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Temporal unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    approvePayRunTotal: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Approved */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not required or already approved */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    excludePayRunItems: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExcludePayRunItemsRequest"];
            };
        };
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"] & {
                        excludedNow: string[];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rejectPayRun: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RejectPayRunRequest"];
            };
        };
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Closed */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    retryPayRun: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new run */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PayRun"] & {
                        notRetried: {
                            payoutId: string;
                            code: string;
                            message: string;
                        }[];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such pay run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not finished, or already retried */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No FAILED payouts */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPlatformFunds: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Declared funds */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        funds: components["schemas"]["PlatformFunds"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    declarePlatformFunds: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
                "idempotency-key"?: string;
            };
            path: {
                methodId: string;
                currency: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeclarePlatformFundsRequest"];
            };
        };
        responses: {
            /** @description Declared */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PlatformFunds"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or the TOTP code is missing or wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed (permission, maker–checker, or approval tier) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getStatementMatchingRules: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                source: "provider" | "bank";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The rules */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        source: "provider" | "bank";
                        rules: components["schemas"]["StatementMatchingRule"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    replaceStatementMatchingRules: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                source: "provider" | "bank";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    rules: unknown[];
                };
            };
        };
        responses: {
            /** @description The rules now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        source: "provider" | "bank";
                        rules: components["schemas"]["StatementMatchingRule"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReconciliationStatements: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The day’s statement matching */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DayStatements"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    uploadBankStatement: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    fileName: string;
                    csv: string;
                };
            };
        };
        responses: {
            /** @description Stored and matched */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        statementId: string;
                        lines: number;
                        matching: {
                            day: string;
                            /** @enum {string} */
                            source: "provider" | "bank";
                            statements: number;
                            matchesCreated: number;
                            exceptionsCreated: number;
                            exceptionsResolvedByMatch: number;
                        };
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The day is signed off */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A line of the file is invalid (line and field named); nothing stored */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listStatementExceptions: {
        parameters: {
            query?: {
                status?: "OPEN" | "ACKNOWLEDGED" | "RESOLVED" | "ACCEPTED";
            };
            header?: never;
            path: {
                date: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The exceptions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        exceptions: components["schemas"]["StatementException"][];
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    actOnStatementException: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                date: string;
                id: string;
                action: "acknowledge" | "resolve" | "accept";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    note?: string;
                    /** @description resolve: the posted correcting entry */
                    entryId?: string;
                    /**
                     * Format: uuid
                     * @description resolve: the adjustment whose posted entry corrects it
                     */
                    adjustmentId?: string;
                };
            };
        };
        responses: {
            /** @description The exception after the action */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatementException"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such exception on the day */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The exception is final, or the day is signed off */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAuditRuns: {
        parameters: {
            query?: {
                kind?: "transaction-sample" | "balances" | "commission-recalc" | "large-payouts" | "access-review" | "full-export";
                period?: string;
                status?: "AWAITING_SIGN_OFF" | "SIGNED";
                limit?: number;
                before?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        runs: components["schemas"]["AuditRunSummary"][];
                        nextBefore: string | null;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createAuditRun: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description `transaction-sample` (weekly): a random 5 % sample of the week’s journal entries, reproducible from the recorded seed, each checked for balance and form; `balances` (monthly): every balance rebuilt from its postings and compared with the stored one (the ledger’s invariants); `commission-recalc` (monthly): a sample of the month’s commissions recalculated under the policy in force when their event completed, compared with what was posted; `large-payouts` (weekly): every payout above 100,000 RUB (equivalent): complete approval chain, distinct approvers, step-up recorded; `access-review` (quarterly): admins, roles, last sign-in and second factor, reviewed and signed off; `full-export` (annual): the year’s ledger, postings, audit log and approvals as CSV files with a manifest of SHA-256s
                     * @enum {string}
                     */
                    kind: "transaction-sample" | "balances" | "commission-recalc" | "large-payouts" | "access-review" | "full-export";
                    /**
                     * @description The period of the kind’s cadence: 2026-W49 (ISO week), 2026-11 (month), 2026-Q3 (quarter), 2025 (year)
                     * @example 2026-11
                     */
                    period: string;
                };
            };
        };
        responses: {
            /** @description Running (or already run): the workflow and where the run will be listed */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description `transaction-sample` (weekly): a random 5 % sample of the week’s journal entries, reproducible from the recorded seed, each checked for balance and form; `balances` (monthly): every balance rebuilt from its postings and compared with the stored one (the ledger’s invariants); `commission-recalc` (monthly): a sample of the month’s commissions recalculated under the policy in force when their event completed, compared with what was posted; `large-payouts` (weekly): every payout above 100,000 RUB (equivalent): complete approval chain, distinct approvers, step-up recorded; `access-review` (quarterly): admins, roles, last sign-in and second factor, reviewed and signed off; `full-export` (annual): the year’s ledger, postings, audit log and approvals as CSV files with a manifest of SHA-256s
                         * @enum {string}
                         */
                        kind: "transaction-sample" | "balances" | "commission-recalc" | "large-payouts" | "access-review" | "full-export";
                        period: string;
                        workflowId: string;
                        workflowUrl: string | null;
                        runsUrl: string;
                    };
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAuditRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    decideAuditFinding: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                findingId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {string} */
                    status: "RESOLVED" | "ACCEPTED";
                    note: string;
                };
            };
        };
        responses: {
            /** @description Decided */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditFinding"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run or finding */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The finding is already decided, or the run is signed off */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    signOffAuditRun: {
        parameters: {
            query?: never;
            header?: {
                "x-totp-code"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditRun"];
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already signed, or findings open */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadAuditExport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The archive (attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description Malformed request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in, or no fresh TOTP code */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, or the run has no archive */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The stored archive no longer matches its checksum */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    previewPoolPeriod: {
        parameters: {
            query: {
                frequency: "WEEKLY" | "MONTHLY";
                periodStart: string;
                partnerLimit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The preview */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PoolPeriodPreview"];
                };
            };
            /** @description Malformed request, or a period that is not over */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    runPoolPeriod: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description WEEKLY (Monday to Sunday) or MONTHLY (the calendar month)
                     * @enum {string}
                     */
                    frequency: "WEEKLY" | "MONTHLY";
                    /**
                     * Format: date-time
                     * @description The period’s first instant: a Monday (weekly) or the 1st (monthly), 00:00 UTC
                     * @example 2025-03-03T00:00:00.000Z
                     */
                    periodStart: string;
                };
            };
        };
        responses: {
            /** @description Running, or already run */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        frequency: "WEEKLY" | "MONTHLY";
                        periodStart: string;
                        periodEnd: string;
                        workflowId: string;
                        /** @description The Temporal run: the same one for every request of the period */
                        runId: string;
                        workflowUrl: string | null;
                    };
                };
            };
            /** @description Malformed request, or a period that is not over */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not signed in */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not allowed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
