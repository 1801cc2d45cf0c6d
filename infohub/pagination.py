from django.core.paginator import Paginator
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
