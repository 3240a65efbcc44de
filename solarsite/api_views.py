"""What every endpoint of the public API shares: pagination with a stable order, throttles,
and query parameters checked before the view runs (an unknown one or a bad date is a 400 that
says which and why)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from solarsite.api_errors import ApiError, error_sentences

# Query parameters any endpoint accepts: DRF's format suffix, and paging where it pages.
ALWAYS_ALLOWED = {"format"}
# Every id is a 64-bit integer (BigAutoField): a larger number is a 400, never a database error.
MAX_ID = 2**63 - 1
MAX_PAGE = 2**31 - 1


def whole_number(raw: str) -> int | None:
    """`raw` as a whole number when it is one in ASCII digits ("²" is a digit to Python but
    not a number to int()), else None."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


class Pagination(PageNumberPagination):
    """DRF's page numbers, but a page or page size out of its range is a 400 naming it, as the
    schema states (DRF would quietly use its default or clamp); a page after the last is a
    404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000  # the overview of a 1,000-plant fleet in one call
    last_page_strings = ()

    def _number(self, request, name: str, maximum: int) -> int | None:
        raw = request.query_params.get(name)
        if not raw:
            return None
        number = whole_number(raw)
        if number is None or not 1 <= number <= maximum:
            sentence = _("%(name)s must be a whole number from 1 to %(maximum)s.") % {
                "name": name, "maximum": maximum,
            }  # fmt: skip
            raise ApiError("invalid_parameter", f"{name}: {sentence}", fields={name: [sentence]})
        return number

    def get_page_size(self, request):
        size = self._number(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def get_page_number(self, request, paginator):
        return self._number(request, self.page_query_param, MAX_PAGE) or 1

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        maximum = {self.page_query_param: MAX_PAGE, self.page_size_query_param: self.max_page_size}
        for parameter in parameters:
            parameter["schema"].update(minimum=1, maximum=maximum[parameter["name"]])
        return parameters


class QueryMixin:
    """Declare `query_serializer` (a Serializer of the query string) and/or a filterset; any
    other parameter is refused by name. The validated values are in `self.query`."""

    query_serializer: type[serializers.Serializer] | None = None
    query: dict

    def allowed_query_parameters(self) -> set[str]:
        allowed = set(ALWAYS_ALLOWED)
        if self.query_serializer is not None:
            allowed |= set(self.query_serializer().fields)
        filterset = getattr(self, "filterset_class", None)
        if filterset is not None:
            allowed |= set(filterset.base_filters)
        paginator = getattr(self, "paginator", None)
        if paginator is not None and getattr(self, "action", "list") in ("list", None):
            allowed |= {paginator.page_query_param, paginator.page_size_query_param}
        return allowed

    def method_is_declared(self, request) -> bool:
        method = request.method.lower()
        return method in self.http_method_names and hasattr(self, method)

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            # DRF throttles only after authentication and permissions pass, so calls without
            # a valid token would never count: count them as anonymous ones here.
            self.check_throttles(request)
            raise
        if not self.method_is_declared(request):
            # A method the endpoint does not have is a 405 whatever the query says.
            self.http_method_not_allowed(request)
        unknown = sorted(set(request.query_params) - self.allowed_query_parameters())
        if unknown:
            known = ", ".join(sorted(self.allowed_query_parameters() - ALWAYS_ALLOWED)) or "-"
            raise ApiError(
                "unknown_parameter",
                _("Unknown query parameter %(names)s; this endpoint takes: %(known)s.")
                % {"names": ", ".join(unknown), "known": known},
                fields={name: [_("Not a parameter of this endpoint.")] for name in unknown},
            )
        filterset = getattr(self, "filterset_class", None)
        wrong = {
            name: [_("%(name)s must be true or false.") % {"name": name}]
            for name, item in (filterset.base_filters.items() if filterset else [])
            if isinstance(item, django_filters.BooleanFilter)
            and request.query_params.get(name, "") not in ("", "true", "false")
        }  # django-filter would ignore such a value and answer everything
        if wrong:
            raise ApiError(
                "invalid_parameter",
                " ".join(f"{name}: {texts[0]}" for name, texts in wrong.items()),
                fields=wrong,
            )
        self.query = {}
        if self.query_serializer is not None:
            query = self.query_serializer(data=request.query_params)
            if not query.is_valid():
                fields = {name: error_sentences(texts) for name, texts in query.errors.items()}
                raise ApiError(
                    "invalid_parameter",
                    " ".join(f"{name}: {texts[0]}" for name, texts in fields.items()),
                    fields=fields,
                )
            self.query = query.validated_data


class ApiView(QueryMixin, APIView):
    pass


# JSON types each kind of field takes, as the schema states them. DRF itself is lenient: it
# reads 0 as false, 5 as "5" and "5" as 5, which a client generated from the schema never sends
# and which hides a client's bug.
_JSON_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "boolean"),
    (serializers.IntegerField, (int,), "integer"),
    (serializers.FloatField, (int, float), "number"),
    (serializers.DecimalField, (int, float), "number"),
    (serializers.CharField, (str,), "string"),
    (serializers.DateField, (str,), "string"),
    (serializers.DateTimeField, (str,), "string"),
    (serializers.TimeField, (str,), "string"),
    (serializers.ListField, (list,), "array"),
    (serializers.ManyRelatedField, (list,), "array"),
]


def _json_type_refusal(field, value) -> str | None:
    if value is None:
        return None  # allow_null decides
    for kind, types, name in _JSON_TYPES:
        if isinstance(field, kind):
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                return _("Expected a JSON %(type)s here.") % {"type": name}
            child = getattr(field, "child", None) or getattr(field, "child_relation", None)
            if child is not None:
                for item in value:
                    refusal = _json_type_refusal(child, item)
                    if refusal:
                        return refusal
            return None
    return None


# Mixed into a serializer of a JSON body: a value of the wrong JSON type is a 400 naming its
# field, not read as DRF would coerce it. (A comment, not a docstring: drf-spectacular would
# make a docstring the description of every serializer that has none of its own.)
class StrictJson:

    def to_internal_value(self, data):
        if isinstance(data, dict):
            refusals = {}
            for name, field in self.fields.items():
                if not field.read_only and name in data:
                    refusal = _json_type_refusal(field, data[name])
                    if refusal:
                        refusals[name] = [refusal]
            if refusals:
                raise serializers.ValidationError(refusals)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": "^[^\\u0000]{1,20}$"})
class PlantCode(serializers.CharField):
    """A plant's code as a query parameter: up to 20 characters, no NUL (which no text field
    takes)."""


def plant_codes() -> serializers.ListField:
    return serializers.ListField(
        child=PlantCode(max_length=20, trim_whitespace=False), required=False,
        help_text="Plant codes; every plant you may see when absent. An unknown or invisible "
        "code is a 404 naming it.",
    )  # fmt: skip


class PeriodQuery(serializers.Serializer):
    """from/to as dates (inclusive), to not before from, at most MAX_DAYS apart."""

    MAX_DAYS = 366
    from_ = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD.")
    to = serializers.DateField(
        required=False,
        help_text="Last day (inclusive), YYYY-MM-DD; not before from, and at most 366 days "
        "after it.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        refusal = period_refusal(attrs.get("from"), attrs.get("to"), max_days=self.MAX_DAYS)
        if refusal:
            raise serializers.ValidationError({"to": refusal})
        return attrs


def period_refusal(start, end, *, max_days: int = PeriodQuery.MAX_DAYS) -> str | None:
    """Why a period of days from `start` to `end` (inclusive) cannot be asked for, or None:
    the one rule of the API's periods and the pages' downloads."""
    if start and end and end < start:
        return _("'to' must not be before 'from'.")
    if start and end and (end - start).days > max_days:
        return _("Ask for at most %(days)s days at a time.") % {"days": max_days}
    return None
