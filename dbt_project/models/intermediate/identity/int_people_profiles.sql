{{
    config(
        materialized='incremental',
        unique_key='profile_key',
        on_schema_change='fail',
        indexes=[
            {'columns': ['profile_key'], 'unique': True},
            {'columns': ['merged_at']},
        ],
        post_hook=[
            "delete from {{ this }} as p where not exists (select 1 from"
            " {{ ref('int_social_profiles') }} as s where s.profile_key = p.profile_key)"
        ]
    )
}}

-- Every social profile with the person it belongs to: the linked CRM customer, or a prospect
-- (one prospect per unlinked profile). Flags people who must not appear in detail marts.
-- Incremental: every profile is computed, but only the ones whose person, link or exclusion
-- changed are merged (merged_at), so that the incremental marts can rework exactly their rows;
-- the post-hook deletes profiles that no longer exist.
with

profiles as (

    select * from {{ ref('int_social_profiles') }}

),

links as (

    select * from {{ ref('int_identity_links') }}

),

excluded as (

    -- the consent rule, kept in one model: the profiles that may be a customer's who opted
    -- out of profiling or asked to be erased, linked or not
    select distinct profile_key from {{ ref('int_excluded_profiles') }}

),

current_people as (

    select
        p.profile_key,
        p.platform,
        p.profile_id,
        l.customer_id,
        l.match_method,
        -- to two decimals: the model is trained again every night, and a probability that
        -- moved in its fourth decimal must not re-merge the profile and all its engagements
        round(l.match_confidence::numeric, 2)::float as match_confidence,
        coalesce(l.customer_id, 'prospect:' || p.profile_key) as person_id,
        -- never null: "not null" would drop every prospect from the detail marts
        (x.profile_key is not null) as is_excluded_from_details
    from profiles as p
    left join links as l on p.profile_key = l.profile_key
    left join excluded as x on p.profile_key = x.profile_key

)

select
    c.*,
    statement_timestamp() as merged_at
from current_people as c
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as t
        where
            t.profile_key = c.profile_key
            and (
                t.person_id, t.customer_id, t.match_method, t.match_confidence,
                t.is_excluded_from_details
            ) is not distinct from (
                c.person_id, c.customer_id, c.match_method, c.match_confidence,
                c.is_excluded_from_details
            )
    )
{% endif %}
