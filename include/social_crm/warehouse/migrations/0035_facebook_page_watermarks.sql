-- Facebook posts, visitor posts and Page insights keep one watermark per Page
-- (`posts:<page id>`, `visitor_posts:<page id>`, `page_insights:<page id>`) instead of one for
-- all Pages, so a Page added later, or refused for a while, gets its history read.
-- A Page that already has records landed starts from the newest one, no later than the old
-- shared watermark (no re-read of everything); a Page with none gets no row and is read whole
-- on its next run, as a first run is. The shared rows go: nothing reads them any more.
insert into meta.watermarks (source, entity, last_event_at, batch_id, updated_at)
select 'facebook', w.entity || ':' || landed.scope_key,
       least(w.last_event_at, landed.newest), w.batch_id, now()
from meta.watermarks as w
join lateral (
    select scope_key, max(event_at) as newest from raw.facebook_posts
    where w.entity = 'posts' group by scope_key
    union all
    select scope_key, max(event_at) from raw.facebook_visitor_posts
    where w.entity = 'visitor_posts' group by scope_key
    union all
    select scope_key, max(event_at) from raw.facebook_page_insights
    where w.entity = 'page_insights' group by scope_key
) as landed on landed.newest is not null
where w.source = 'facebook'
  and w.entity in ('posts', 'visitor_posts', 'page_insights')
  and w.last_event_at is not null
on conflict (source, entity) do nothing;

delete from meta.watermarks
where source = 'facebook' and entity in ('posts', 'visitor_posts', 'page_insights');
