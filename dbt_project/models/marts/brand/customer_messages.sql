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
        pre_hook=[
            "{{ delete_rows_deleted_upstream(message_staging_tables()) }}",
            "{{ delete_rows_of_newly_excluded_profiles(ref('int_messages_answered')) }}"
        ],
        post_hook=[
            "{{ log_deletions_for_publish() }}",
            "{{ delete_excluded_customers('person_id', ref('int_excluded_customers')) }}"
        ]
    )
}}

-- depends_on: {{ ref('brands') }} (the pre-hook's engagement id suffixes)
-- depends_on: {{ message_staging_tables() | join(", ") }} (the pre-hook's deletions)
-- depends_on: {{ ref('stg_scoring__message_sentiment') }} (messages_scored_after)
-- depends_on: {{ ref('stg_crm__sentiment_overrides') }} (messages_scored_after)

-- Each message's first response in calendar and business seconds (the brand's service hours,
-- int_message_response_times), its priority and whether the answer came within its SLA.
-- Incremental: a run merges the messages int_messages_answered merged since its last run,
-- those scored again (their priority may change) and those of people whose link or exclusion
-- changed; the pre-hook deletes messages deleted upstream and those of profiles newly
-- excluded from details, the post-hook the messages of customers who opted out or asked to be
-- erased.
with

answered as (

    select * from {{ ref('int_messages_answered') }}
    {% if is_incremental() %}
        where merged_at > {{ max_merged_at() }}
        -- messages scored again (an edit, a new scorer) or corrected by staff
        union
        select * from {{ ref('int_messages_answered') }}
        where
            message_id in ({{ messages_scored_after(max_merged_at()) }})
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

),

-- the response times of the messages merged (an incremental run: not every message's; the
-- filter reaches int_message_response_times' scan of the messages, by message id)
response_times as (

    select * from {{ ref('int_message_response_times') }}
    {% if is_incremental() %}
        where message_id in (select r.message_id from answered as r)
    {% endif %}

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
    r.priority,
    case when r.is_answered then r.business_seconds end as first_response_business_seconds,
    r.sla_target_seconds,
    case when r.is_answered then not r.is_sla_breached end as is_answered_within_sla,
    statement_timestamp() as merged_at
from answered as a
inner join people as p on a.platform || ':' || a.profile_id = p.profile_key
left join response_times as r on a.message_id = r.message_id
where not p.is_excluded_from_details
