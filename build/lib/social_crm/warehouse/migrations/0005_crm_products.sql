-- The CRM's product catalogue, including products born from customers' #idea messages.
create table raw.crm_products (like raw.crm_orders including all);
alter table raw.crm_products
    add constraint crm_products_batch_fk foreign key (batch_id)
    references meta.load_batches (batch_id);
