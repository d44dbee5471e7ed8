from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from kpi_platform.benchmarking.mapping import SUBJECTS
from kpi_platform.benchmarking.models import DIMENSIONS
from kpi_platform.benchmarking.service import INDICATORS

Text = ma.fields.String
MONTH = validate.Regexp(r"^\d{4}-\d{2}$", error="YYYY-MM")
TERM = validate.Length(min=1, max=60)


class PeriodQuery(ma.Schema):
    month = Text(validate=MONTH, metadata={"description": "YYYY-MM; default: the latest month with data"})
    quarter = Text(validate=validate.Regexp(r"^\d{4}-[Qq][1-4]$", error="YYYY-Qn"))
    year = Text(validate=validate.Regexp(r"^\d{4}$", error="YYYY"))
    unit_kind = Text(validate=TERM, metadata={"description": "a term, 'unmapped' or '*' (all, the default)"})
    sector = Text(validate=TERM)
    position_category = Text(validate=TERM)
    staff_kind = Text(validate=TERM)


class PlatformQuery(PeriodQuery):
    province = DelimitedList(Text(validate=validate.Length(max=63)), metadata={"description": "slugs, comma separated"})


class CellsQuery(PlatformQuery):
    by = DelimitedList(Text(validate=validate.OneOf(DIMENSIONS)), required=True)


class SeriesQuery(PlatformQuery):
    indicator = Text(required=True, validate=validate.OneOf(list(INDICATORS)))
    from_ = Text(data_key="from", validate=MONTH, metadata={"description": "YYYY-MM; default: a year before `to`"})
    to = Text(validate=MONTH, metadata={"description": "YYYY-MM; default: the latest month with data"})


class ExportQuery(PlatformQuery):
    view = Text(load_default="overview", validate=validate.OneOf(["overview", "cells"]))
    by = DelimitedList(Text(validate=validate.OneOf(DIMENSIONS)))


class TaxonomyQuery(ma.Schema):
    version = ma.fields.Integer(validate=validate.Range(min=1))


class TermSchema(ma.Schema):
    code = Text()
    name_vi = Text()
    name_en = Text()


class TaxonomySchema(ma.Schema):
    number = ma.fields.Integer()
    valid_from = ma.fields.Date()
    note = Text()
    dimensions = ma.fields.Dict(keys=Text(), values=ma.fields.List(ma.fields.Nested(TermSchema)))


class ProvinceSchema(ma.Schema):
    slug = Text()
    name_vi = Text()
    name_en = Text()


class BenchmarkPeriodSchema(ma.Schema):
    kind = Text()
    label = Text()
    start = ma.fields.Date()
    months = ma.fields.List(ma.fields.Date())


Figures = ma.fields.Dict(keys=Text(), values=ma.fields.Float(allow_none=True))


class OutlierSchema(ma.Schema):
    indicator = Text()
    value = ma.fields.Float()
    median = ma.fields.Float()
    rule = Text(metadata={"description": "far (from the provinces' median), above_8 (hours a day), above_quota"})


class OverviewRowSchema(ma.Schema):
    province = ma.fields.Nested(ProvinceSchema)
    published = ma.fields.Boolean(metadata={"description": "false: no figure (too few people, or suppressed)"})
    months = ma.fields.Integer()
    method = Text(allow_none=True)
    tiers = Figures
    indicators = Figures
    outliers = ma.fields.List(ma.fields.Nested(OutlierSchema))


class NationalSchema(ma.Schema):
    pooled = Figures
    distribution = ma.fields.Dict(keys=Text(), values=ma.fields.Dict(allow_none=True))


class OverviewSchema(ma.Schema):
    period = ma.fields.Nested(BenchmarkPeriodSchema, allow_none=True)
    cell = ma.fields.Dict(keys=Text(), values=Text())
    provinces = ma.fields.List(ma.fields.Nested(OverviewRowSchema))
    national = ma.fields.Nested(NationalSchema)


class CellRowSchema(ma.Schema):
    province = ma.fields.Nested(ProvinceSchema)
    cell = ma.fields.Dict(keys=Text(), values=Text())
    months = ma.fields.Integer()
    tiers = Figures
    indicators = Figures


class CellsSchema(ma.Schema):
    period = ma.fields.Nested(BenchmarkPeriodSchema, allow_none=True)
    cell = ma.fields.Dict(keys=Text(), values=Text())
    by = ma.fields.List(Text())
    terms = ma.fields.Dict(keys=Text(), values=ma.fields.List(Text()))
    rows = ma.fields.List(ma.fields.Nested(CellRowSchema))


class PointSchema(ma.Schema):
    month = ma.fields.Date()
    value = ma.fields.Float(allow_none=True)


class SeriesLineSchema(ma.Schema):
    province = ma.fields.Nested(ProvinceSchema)
    points = ma.fields.List(ma.fields.Nested(PointSchema))


class SeriesSchema(ma.Schema):
    indicator = Text()
    cell = ma.fields.Dict(keys=Text(), values=Text())
    months = ma.fields.List(ma.fields.Date())
    provinces = ma.fields.List(ma.fields.Nested(SeriesLineSchema))
    median = ma.fields.List(ma.fields.Nested(PointSchema))


class StandingPointSchema(ma.Schema):
    value = ma.fields.Float()
    own = ma.fields.Boolean()
    province = ma.fields.Nested(ProvinceSchema, allow_none=True, metadata={"description": "null: not named"})


class ComparisonSchema(ma.Schema):
    points = ma.fields.List(ma.fields.Nested(StandingPointSchema))
    distribution = ma.fields.Dict(allow_none=True)
    rank = ma.fields.Integer(allow_none=True)


class StandingSchema(ma.Schema):
    period = ma.fields.Nested(BenchmarkPeriodSchema, allow_none=True)
    cell = ma.fields.Dict(keys=Text(), values=Text())
    province = ma.fields.Nested(ProvinceSchema)
    has_data = ma.fields.Boolean()
    published = ma.fields.Boolean()
    provinces = ma.fields.Integer()
    indicators = Figures
    tiers = Figures
    comparison = ma.fields.Dict(keys=Text(), values=ma.fields.Nested(ComparisonSchema))


class ProvinceStatusSchema(ma.Schema):
    province = ma.fields.Nested(ProvinceSchema)
    months = ma.fields.List(ma.fields.Date())
    latest = ma.fields.Dict()


class MappingSchema(ma.Schema):
    subject = Text(required=True, validate=validate.OneOf(list(SUBJECTS)))
    code = Text(required=True, validate=validate.Length(min=1, max=60))
    dimension = Text(required=True, validate=validate.OneOf(DIMENSIONS))
    term = Text(allow_none=True, validate=validate.Length(max=60), metadata={"description": "null or '': remove"})


class MappingsInSchema(ma.Schema):
    mappings = ma.fields.List(ma.fields.Nested(MappingSchema), required=True)


class MappingsOutSchema(ma.Schema):
    taxonomy_version = ma.fields.Integer()
    mappings = ma.fields.List(ma.fields.Nested(MappingSchema))
    unmapped = ma.fields.Dict(keys=Text(), values=ma.fields.List(Text()))


class MappingsResultSchema(ma.Schema):
    created = ma.fields.Integer()
    changed = ma.fields.Integer()
    removed = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    refresh_id = ma.fields.UUID(allow_none=True)


class PreferenceSchema(ma.Schema):
    named_to_peers = ma.fields.Boolean(required=True)


class SnapshotSchema(ma.Schema):
    month = ma.fields.Date()
    taxonomy_version = ma.fields.Integer()
    min_group_size = ma.fields.Integer()
    method = Text()
    cells_published = ma.fields.Integer()
    cells_suppressed = ma.fields.Integer()
    withheld = ma.fields.Boolean()
    unmapped = ma.fields.Dict()
    refreshed_at = ma.fields.DateTime()


class RefreshInSchema(ma.Schema):
    months = ma.fields.List(Text(validate=MONTH), load_default=None)
    provinces = ma.fields.List(Text(), load_default=None)
    force = ma.fields.Boolean(load_default=False)


class RefreshSchema(ma.Schema):
    id = ma.fields.UUID()
    reason = Text()
    status = Text()
    total = ma.fields.Integer(metadata={"description": "tenants to refresh"})
    done = ma.fields.Integer()
    outcome = ma.fields.Dict(metadata={"description": "months refreshed, unchanged, without a run"})
    months = ma.fields.Method("_months")
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    error = Text(allow_none=True)

    def _months(self, refresh):
        return (refresh.scope or {}).get("months")
