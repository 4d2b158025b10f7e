with

source as (

    select * from {{ source('scoring', 'influence') }}

),

renamed as (

    select
        -- ids
        platform || ':' || profile_id as profile_key,
        profile_id,

        -- scores
        influence,
        followers_in_graph,
        follow_graph_rank,
        interactions_received,
        followers_count,
        pull,
        messages

    from source

)

select * from renamed
