with

answered as (

    select * from {{ ref('int_messages_answered') }}

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
    a.answered_at is not null as is_answered
from answered as a
inner join people as p on a.platform || ':' || a.profile_id = p.profile_key
where not p.is_excluded_from_details
