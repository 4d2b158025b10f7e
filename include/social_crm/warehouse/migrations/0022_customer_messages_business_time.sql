-- customer_messages gained each message's priority, its first response in business seconds
-- and whether it came within its SLA (issue 20). The incremental table an older build left
-- lacks those columns and cannot merge them: it is dropped here, the next nightly run builds
-- it in full and publishes it whole; `marts` keeps serving the last published build meanwhile.
drop table if exists marts_build.customer_messages;
