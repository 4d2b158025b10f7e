{{
    config(
        unique_key='snapshot_id',
        indexes=[
            {'columns': ['snapshot_id'], 'unique': True},
            {'columns': ['page_id', 'observed_at']},
            {'columns': ['merged_at']},
        ]
    )
}}

{%- set merging = is_incremental() %}

-- Every version of every page object (its follower and like counts as they changed), not
-- only the latest: the counts over time are the point. A snapshot is never deleted.
with

source as (

    select
        r.*,
        b.validated_at as batch_validated_at,
        statement_timestamp() as merged_at
    from {{ source('facebook', 'facebook_page_snapshots') }} as r
    inner join {{ source('meta', 'load_batches') }} as b on r.batch_id = b.batch_id
    where
        b.validated_at is not null
        and not r.is_deleted
        and {% if merging %}r.batch_id in ({{ batches_to_merge() }}){% else %}true{% endif %}

),

renamed as (

    select
        -- ids
        natural_key || ':' || ingest_seq as snapshot_id,
        natural_key as page_id,

        -- page
        payload ->> 'name' as page_name,
        {{ whole_count("payload ->> 'followers_count'") }} as followers_count,
        {{ whole_count("payload ->> 'fan_count'") }} as fan_count,

        -- timestamps (UTC): the extraction that first saw these counts
        event_at as observed_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
