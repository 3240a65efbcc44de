"""OpenAPI generation: each view's query serializer becomes its parameters, and every
operation documents the error shape for the 4xx answers it can give.

The schema is the contract clients are generated from, so it is the same document for every
caller: written in English whatever the request's language (the answers themselves stay in
the user's language), with a semantic `info.version` (SPECTACULAR_SETTINGS["VERSION"]) that
package tools accept, not drf-spectacular's "1.0.0 (v1)".
"""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

NO_NUL = "^[^\\u0000]*$"
NOT_BLANK_NO_NUL = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A machine code, e.g. not_found, invalid_parameter.")
    detail = serializers.CharField(help_text="One sentence saying what was wrong.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per field or query parameter, what was wrong with it.",
    )


class AutoSchema(SpectacularAutoSchema):
    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # `?to=` is the same as leaving `to` out (DRF reads a query string so).
            if (
                parameter["in"] == "query"
                and not parameter.get("required")
                and parameter.get("schema", {}).get("type") != "array"
            ):
                parameter["allowEmptyValue"] = True
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and type(field) is serializers.CharField
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            # DRF refuses a NUL character in any text, and a text of spaces only where a
            # blank one is refused (it trims them): say so.
            blank = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = NO_NUL if blank else NOT_BLANK_NO_NUL
        return schema

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        query = getattr(self.view, "query_serializer", None)
        if query is not None and self.method == "GET":
            parameters.append(query)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self._get_response_for_code(
            OpenApiResponse(ErrorSerializer), "400", direction=direction
        )
        codes = ["400", "401", "404", "429"]
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if not public:
            codes.append("403")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("409")  # a value another row holds (api_errors: "conflict")
        for code in codes:
            responses.setdefault(code, error)
        return responses


class SchemaGenerator(SpectacularSchemaGenerator):
    def get_schema(self, request=None, public=False):
        with translation.override("en"):
            schema = super().get_schema(request=request, public=public)
        schema["info"]["version"] = spectacular_settings.VERSION
        return schema
