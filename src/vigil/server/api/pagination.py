from rest_framework import pagination

#: The most records one answer of the API holds: every list action pages (``?page_size`` above
#: this is answered with this many, and a ``next`` link), and the lists answered whole by custom
#: actions are bounded by it or by construction (tests/server/test_server_api_limits.py).
MAX_PAGE_SIZE = 200


class Pagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (at most 200); answers count, next, previous, results."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_schema_operation_parameters(self, view):  # type: ignore[no-untyped-def]
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"]["maximum"] = self.max_page_size
                param["schema"]["minimum"] = 1
        return params
