-- The notification outbox wakes its delivery workflow (issue #19, docs/rules.md#notification-delivery): every statement
-- that writes PENDING rows into `notifications` raises a NOTIFY on the channel `ledgerflow_notifications`. PostgreSQL
-- delivers a NOTIFY only when the writing transaction commits (and drops it on rollback), so a listener is woken
-- exactly after the outbox row became visible, whichever process wrote it (an activity, an API route, the CLI). The
-- worker listens and signals the long-lived `notification-delivery` workflow; a lost wake-up is caught by that
-- workflow's own slow sweep. The payload is empty: the outbox itself is the message, the NOTIFY only a doorbell.
CREATE FUNCTION notifications_wake_delivery() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ledgerflow_notifications', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER notifications_wake_delivery
AFTER INSERT ON notifications
FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake_delivery();
