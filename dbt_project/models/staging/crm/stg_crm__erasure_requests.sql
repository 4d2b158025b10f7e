with

source as (

    {{ latest_versions(source('crm', 'crm_erasure_requests')) }}

),

-- every landing of a request since it was last withdrawn: what any of them named counts (a
-- reminder or a re-export without the identifiers takes nothing back)
landings as (

    select
        v.natural_key,
        v.payload
    from {{ source('crm', 'crm_erasure_requests') }} as v
    inner join source as s on v.natural_key = s.natural_key
    where
        not v.is_deleted
        and not exists (
            select 1 from {{ source('crm', 'crm_erasure_requests') }} as w
            where
                w.natural_key = v.natural_key
                and w.is_deleted
                and w.ingest_seq > v.ingest_seq
        )

),

-- what every landing of each request named, one row per value (a reminder or a re-export
-- without identifiers withdraws nothing a landing before it named)
named_values as (

    select
        l.natural_key,
        k.kind,
        x.value
    from landings as l
    cross join (
        values ('facebook_ids'), ('x_ids'), ('x_handles'), ('instagram_usernames'), ('emails')
    ) as k (kind)
    cross join lateral jsonb_array_elements_text(l.payload -> k.kind) as x (value)

),

named as (

    select
        k.natural_key,
        coalesce(
            array_agg(distinct v.value order by v.value) filter (where v.kind = 'facebook_ids'),
            '{}'
        )::text[] as named_facebook_ids,
        coalesce(
            array_agg(distinct v.value order by v.value) filter (where v.kind = 'x_ids'), '{}'
        )::text[] as named_x_ids,
        coalesce(
            array_agg(distinct v.value order by v.value) filter (where v.kind = 'x_handles'),
            '{}'
        )::text[] as named_x_handles,
        coalesce(
            array_agg(distinct v.value order by v.value)
            filter (where v.kind = 'instagram_usernames'),
            '{}'
        )::text[] as named_instagram_usernames,
        coalesce(
            array_agg(distinct v.value order by v.value) filter (where v.kind = 'emails'), '{}'
        )::text[] as named_emails
    from (select distinct natural_key from landings) as k
    left join named_values as v on k.natural_key = v.natural_key
    group by k.natural_key

),

renamed as (

    select
        -- ids
        s.natural_key as customer_id,

        -- what the request names as the person's own, in any of its landings
        -- (include/social_crm/extract/erasure_identifiers.py)
        n.named_facebook_ids,
        n.named_x_ids,
        n.named_x_handles,
        n.named_instagram_usernames,
        n.named_emails,

        -- timestamps (UTC)
        s.event_at as requested_at

    from source as s
    inner join named as n on s.natural_key = n.natural_key

)

select * from renamed
