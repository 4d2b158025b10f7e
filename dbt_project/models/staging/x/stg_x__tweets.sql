{{
    config(
        unique_key='tweet_id',
        indexes=[
            {'columns': ['tweet_id'], 'unique': True},
            {'columns': ['merged_at']},
            {'columns': ['author_profile_id']},
            {'columns': ['in_reply_to_profile_id']},
            {'columns': ['replied_to_tweet_id']},
            {'columns': ['(meta.text_mentions(message_text))'], 'type': 'gin'},
        ]
    )
}}

with

source as (

    {{ latest_raw_versions(source('x', 'x_tweets'), 'tweet_id') }}

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
        event_at as created_at,

        -- lineage: the landed version, its gate stamp, when it was merged
        ingest_seq,
        batch_validated_at,
        merged_at,
        is_deleted

    from source

)

select * from renamed
