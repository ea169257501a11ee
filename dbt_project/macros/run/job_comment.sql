{#- The comment dbt puts on every statement it sends (dbt_project.yml `query-comment`):
    dbt's own keys plus the invocation's id, as JSON. On BigQuery `job-label: true`
    turns each key into a label of the job (node_id, invocation_id, ...), and the
    job's query text keeps the comment itself; the run summary finds the run's jobs,
    and the node each belongs to, by either (pipeline/bigquery_jobs.py). -#}
{% macro job_comment(node) -%}
    {%- set comment = {
        "app": "dbt",
        "dbt_version": dbt_version,
        "profile_name": target.get("profile_name"),
        "target_name": target.get("target_name"),
        "invocation_id": invocation_id,
    } -%}
    {%- if node is not none -%}
        {%- do comment.update({"node_id": node.unique_id}) -%}
    {%- endif -%}
    {{ return(tojson(comment)) }}
{%- endmacro %}
