{#-
    GA4's default channel group of a (source, medium, campaign) triple, spelled
    as Google spells it. The rules are Google's "[GA4] Default channel group"
    (support.google.com/analytics/answer/9756891, channels for manual traffic),
    tried in Google's order, the first match winning; Unassigned when none
    matches. Comparisons ignore letter case (Google: "Analytics does not enforce
    case sensitivity"). "Source matches a list of search / social / shopping /
    video sites" is an exact match against Google's source-category list, the
    seed ga4_source_categories. A null or empty value matches no rule, so a
    triple of nulls is Unassigned (Direct needs the source to be "(direct)").

    This macro is the only place the rules live. It is plain SQL on both
    targets apart from the regex test (macros/cross_db/regexp_matches); each
    list test is an uncorrelated subquery on the seed, so call it on the
    distinct triples of a model rather than on every event.
-#}
{% macro ga4_default_channel_group(source, medium, campaign) -%}
    {%- set s = "lower(" ~ source ~ ")" -%}
    {%- set m = "lower(" ~ medium ~ ")" -%}
    {%- set c = "lower(" ~ campaign ~ ")" -%}
    {%- set paid_medium = regexp_matches(m, '^(.*cp.*|ppc|retargeting|paid.*)$') -%}
    {%- set shopping_campaign = regexp_matches(c, '^(.*(([^a-df-z]|^)shop|shopping).*)$') -%}
    {%- set email = ['email', 'e-mail', 'e_mail', 'e mail'] -%}
    case
        when {{ s }} = '(direct)' and {{ m }} in ('(not set)', '(none)') then 'Direct'
        when {{ regexp_matches(c, 'cross-network') }} then 'Cross-network'
        when
            ({{ _ga4_source_in_category(s, 'SHOPPING') }} or {{ shopping_campaign }})
            and {{ paid_medium }}
            then 'Paid Shopping'
        when {{ _ga4_source_in_category(s, 'SEARCH') }} and {{ paid_medium }} then 'Paid Search'
        when {{ _ga4_source_in_category(s, 'SOCIAL') }} and {{ paid_medium }} then 'Paid Social'
        when {{ _ga4_source_in_category(s, 'VIDEO') }} and {{ paid_medium }} then 'Paid Video'
        when {{ m }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm') then 'Display'
        when {{ paid_medium }} then 'Paid Other'
        when {{ _ga4_source_in_category(s, 'SHOPPING') }} or {{ shopping_campaign }} then 'Organic Shopping'
        when
            {{ _ga4_source_in_category(s, 'SOCIAL') }}
            or {{ m }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
            then 'Organic Social'
        when {{ _ga4_source_in_category(s, 'VIDEO') }} or {{ regexp_matches(m, '^(.*video.*)$') }} then 'Organic Video'
        when {{ _ga4_source_in_category(s, 'SEARCH') }} or {{ m }} = 'organic' then 'Organic Search'
        when {{ m }} in ('referral', 'app', 'link') then 'Referral'
        when {{ s }} in ('{{ email | join("', '") }}') or {{ m }} in ('{{ email | join("', '") }}') then 'Email'
        when {{ m }} = 'affiliate' then 'Affiliates'
        when {{ m }} = 'audio' then 'Audio'
        when {{ s }} = 'sms' or {{ m }} = 'sms' then 'SMS'
        when
            {{ regexp_matches(m, 'push$') }}
            or {{ regexp_matches(m, 'mobile|notification') }}
            or {{ s }} = 'firebase'
            then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}


{#- Whether lowercased source expression `s` is on Google's list of sites of
    `category` (SEARCH, SOCIAL, SHOPPING or VIDEO). -#}
{% macro _ga4_source_in_category(s, category) -%}
{{ s }} in (
            select lower(source_categories.source)
            from {{ ref('ga4_source_categories') }} as source_categories
            where source_categories.source_category = 'SOURCE_CATEGORY_{{ category }}'
        )
{%- endmacro %}
