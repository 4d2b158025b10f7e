-- Identity matching compares a profile's handle (an X handle, an Instagram username) with the
-- customer's handles on the other platform (the accounts the CRM knows for them): each
-- comparison record keeps them. The stored model knows no such comparison: it is dropped, so
-- the next matching step trains a new one and scores every record again.
alter table scoring.identity_comparison_records
    -- profiles: the handle in lower case
    add column handle_key text,
    -- customers: their known X handle and Instagram username, in lower case
    add column x_handle text,
    add column instagram_username text;

delete from scoring.identity_model;
