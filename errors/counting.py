"""How far a list of errors is counted before it says "10,000+".

One figure for the dashboard, the API and the search's choice of plan: counting the rows of
a filter costs about a millisecond per 10,000 on SQLite, and nobody pages that far. Filters
the daily totals answer are counted exactly whatever their size
(errors.selectors.count_filtered_app_errors).
"""

COUNT_CAP = 10_000


def count_cap_for_page(page_number: int, per_page: int) -> int:
    """How far to count for page ``page_number`` (from 1) of a list: the cap, or one page
    past the asked one when it lies deeper, so that page and its link onwards both exist."""
    return max(COUNT_CAP, (max(page_number, 0) + 1) * per_page)
