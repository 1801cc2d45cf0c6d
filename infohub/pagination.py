from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import IntegerField, Value
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from rest_framework import pagination, serializers

from . import params


class CappedPaginator(Paginator):
    """Counts and pages no further than `cap` rows. For lists refreshed all day whose exact length past a
    thousand tells the reader nothing, while counting tens of thousands of rows would cost more than the page.
    `count_label` reads "1000+" when the list goes on."""

    def __init__(self, object_list, per_page, *, cap: int = 1000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _seen(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._seen, self.cap)

    @property
    def count_label(self) -> str:
        return f"{self.cap}+" if self._seen > self.cap else str(self._seen)


def page_of_rows(queryset, number, per_page: int, columns, *, cap: int | None = None) -> Page:
    """Page `number` of `queryset` as dicts of `columns`, with the list's length (counted to `cap` + 1 when
    given, see CappedPaginator) in the same statement: an uncorrelated subquery, which Postgres runs once. The
    long lists compile and send one query instead of two on every refresh. A page number past the end gives the
    last page, as Paginator.get_page does."""
    number = params.page(number)
    # SELECT 1, not the id: the count can then come from the list's index alone.
    listed = queryset.order_by().values(one=Value(1))
    try:
        sql, sql_params = (listed[: cap + 1] if cap else listed).query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing, e.g. no units to look in
        return Page([], 1, Paginator([], per_page))
    length = RawSQL(f"SELECT COUNT(*) FROM ({sql}) AS listed", sql_params, output_field=IntegerField())
    start = (number - 1) * per_page
    rows = list(queryset.annotate(list_length=length).values(*columns, "list_length")[start:start + per_page])
    paginator = CappedPaginator(queryset, per_page, cap=cap) if cap else Paginator(queryset, per_page)
    if not rows and number > 1:  # past the end: count alone, then the last page
        return page_of_rows(queryset, paginator.num_pages, per_page, columns, cap=cap)
    seen = rows[0]["list_length"] if rows else 0
    # Both are cached_property: set, they are never counted again.
    if cap:
        paginator._seen = seen
    else:
        paginator.count = seen
    return Page(rows, number, paginator)


class ApiPagination(pagination.PageNumberPagination):
    """The API's pages (DEFAULT_PAGINATION_CLASS): DRF's, with the page number parsed by a field with its bounds.
    A `page` that is no page number (blank, a word, 0, a fraction) is refused with 400 and the reason, where DRF
    took a blank one for the first page and a word for 404; a page past the last (however large) is 404, as in DRF."""

    page_field = forms.IntegerField(min_value=1)

    def paginate_queryset(self, queryset, request, view=None):
        sent = request.query_params.get(self.page_query_param)
        if sent is not None:
            try:
                self.page_field.clean(sent)
            except ValidationError as error:
                raise serializers.ValidationError({self.page_query_param: error.messages}) from None
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
