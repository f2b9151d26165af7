"""How far a list of errors is counted before it says "10,000+".

One figure for the dashboard, the API and the search's choice of plan: counting the rows of
a filter costs about a millisecond per 10,000 on SQLite, and nobody pages that far. Filters
the daily totals answer are counted exactly whatever their size
(errors.selectors.count_filtered_app_errors).
"""

COUNT_CAP = 10_000
