with

source as (

    {{ latest_versions(source('x', 'x_tweets')) }}

),

renamed as (

    select
        -- ids
        natural_key as tweet_id,
        payload ->> 'author_id' as author_profile_id,
        payload ->> 'conversation_id' as conversation_id,
        payload ->> 'in_reply_to_user_id' as in_reply_to_profile_id,
        jsonb_path_query_first(
            payload, '$.referenced_tweets[*] ? (@.type == "replied_to").id'
        ) #>> '{}' as replied_to_tweet_id,
        payload ->> 'brand_handle' as brand_handle,

        -- content
        payload ->> 'text' as message_text,
        payload ->> 'lang' as lang,

        -- timestamps (UTC)
        event_at as created_at

    from source

)

select * from renamed
