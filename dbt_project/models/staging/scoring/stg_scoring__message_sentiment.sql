with

source as (

    select * from {{ source('scoring', 'message_sentiment') }}

),

renamed as (

    select
        -- ids
        message_id,
        platform,

        -- what the scorer found
        lang,
        sentiment,
        score as sentiment_score,
        p_negative,
        p_neutral,
        p_positive,
        intent,
        scorer_version,

        -- timestamps (UTC)
        scored_at

    from source

)

select * from renamed
