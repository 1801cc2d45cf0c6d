from django.core.paginator import Page, Paginator
from django.db.models import Func, IntegerField, Subquery
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts and pages no further than `cap` rows. For lists refreshed all day whose exact length past a
    thousand tells the reader nothing, while counting tens of thousands of rows would cost more than the page.
    `count_label` reads "1000+" when the list goes on."""

    cap = 1000

    @cached_property
    def _seen(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._seen, self.cap)

    @property
    def count_label(self) -> str:
        return f"{self.cap}+" if self._seen > self.cap else str(self._seen)


def page_of_rows(queryset, number, per_page: int, columns) -> Page:
    """Page `number` of `queryset` as dicts of `columns`, with the list's length counted by the same statement
    (an uncorrelated subquery, which Postgres runs once): the long lists compile and send one query instead of
    two, on every refresh. A page number past the end gives the last page, as Paginator.get_page does."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    # COUNT(*), not COUNT(id): the count can then come from the list's index alone.
    length = Subquery(queryset.order_by().values(n=Func(template="COUNT(*)", output_field=IntegerField())))
    start = (number - 1) * per_page
    rows = list(queryset.annotate(list_length=length).values(*columns, "list_length")[start:start + per_page])
    paginator = Paginator(queryset, per_page)
    if not rows and number > 1:  # past the end: count alone, then the last page
        return page_of_rows(queryset, paginator.num_pages, per_page, columns)
    paginator.count = rows[0]["list_length"] if rows else 0  # Paginator.count is a cached_property
    return Page(rows, number, paginator)
