{{
    config(
        materialized='incremental',
        unique_key='message_id',
        on_schema_change='fail',
        indexes=[
            {'columns': ['message_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['person_id']},
        ],
        pre_hook=["{{ delete_rows_deleted_upstream(message_staging_tables()) }}"],
        post_hook=[
            "{{ log_deletions_for_publish() }}",
            "delete from {{ this }} as r where exists (select 1 from"
            " {{ ref('int_excluded_customers') }} as x where x.customer_id = r.person_id)"
        ]
    )
}}

-- depends_on: {{ message_staging_tables() | join(", ") }} (the pre-hook's deletions)

-- Incremental: a run merges the messages int_messages_answered merged since its last run and
-- those of people whose link or exclusion changed; the pre-hook deletes messages deleted
-- upstream, the post-hook the messages of customers who opted out or asked to be erased.
with

answered as (

    select * from {{ ref('int_messages_answered') }}
    {% if is_incremental() %}
        where merged_at > {{ max_merged_at() }}
        -- people whose link to a customer or exclusion changed
        union
        select a.* from {{ ref('int_messages_answered') }} as a
        inner join {{ ref('int_people_profiles') }} as p
            on a.profile_id = p.profile_id and a.platform = p.platform
        where p.merged_at > {{ max_merged_at() }}
    {% endif %}

),

people as (

    select * from {{ ref('int_people_profiles') }}

)

select
    a.message_id,
    a.platform as channel,
    a.brand_key,
    p.person_id,
    a.engagement_type as message_type,
    a.occurred_at,
    a.answered_at,
    a.first_response_seconds,
    a.answered_at is not null as is_answered,
    statement_timestamp() as merged_at
from answered as a
inner join people as p on a.platform || ':' || a.profile_id = p.profile_key
where not p.is_excluded_from_details
