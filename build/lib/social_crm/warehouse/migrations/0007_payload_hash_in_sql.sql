-- Version hashes are now computed by PostgreSQL from the jsonb payload (landing.PAYLOAD_HASH_SQL)
-- instead of by Python from sorted JSON: recompute the stored ones so that re-landing a record
-- that is already here stays a no-op. Tombstones keep their 'deleted:<batch>' marker.
do $$
declare
    entity text;
begin
    for entity in
        select table_name from information_schema.tables
        where table_schema = 'raw' and table_type = 'BASE TABLE'
    loop
        execute format(
            'update raw.%I set payload_hash = encode(sha256(convert_to(payload::text, %L)), %L)'
            ' where not is_deleted',
            entity, 'UTF8', 'hex'
        );
    end loop;
end
$$;
