-- The social accounts the CRM knows for its customers (social login, loyalty sign-up, an
-- agent's link in a service conversation): identity links that need no guessing.
create table raw.crm_customer_social_accounts (like raw.crm_orders including all);
alter table raw.crm_customer_social_accounts
    add constraint crm_customer_social_accounts_batch_fk foreign key (batch_id)
    references meta.load_batches (batch_id);
