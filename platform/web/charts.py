"""Charts drawn on the server as SVG with pygal (no script, no CDN): the pages embed them, and show
the same numbers in a table next to them for screen readers and for copying."""

from __future__ import annotations

import re

import pygal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

TIER_COLOURS = ("#1b7a43", "#5fa8d3", "#e0a526", "#c0392b")  # excellent, good, complete, not complete
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#8a96a3",
    font_family="system-ui, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    title_font_size=15,
    colors=("#7a1f1f", "#0b4fa0", "#1b7a43", "#b5651d", "#5b3f8c", "#2f7f8f", "#8a6d00", "#444"),
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart, label: str) -> Markup:
    """The chart as inline SVG, with its config script taken out (the pages run no inline script)."""
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(svg)  # noqa: S704 - pygal's own output; labels and titles are escaped by pygal


def _base(kind, **options):
    return kind(
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        width=options.pop("width", 900),
        height=options.pop("height", 360),
        legend_at_bottom=True,
        legend_at_bottom_columns=options.pop("legend_columns", 4),
        print_values=False,
        show_y_guides=True,
        truncate_label=-1,
        **options,
    )


def tier_bars(rows: list[tuple[str, dict]], labels: tuple[str, str, str, str], title: str) -> Markup:
    """One horizontal bar per province, split into the four tiers (shares, in %)."""
    style = Style(**{**STYLE.to_dict(), "colors": TIER_COLOURS})
    chart = _base(
        pygal.HorizontalStackedBar,
        height=max(160, 70 + 34 * len(rows)),
        range=(0, 100),
        value_formatter=lambda v: f"{v:.0f} %",
    )
    chart.style = style
    chart.x_labels = [name for name, _ in rows]
    for key, label in zip(("excellent", "good", "complete", "fail"), labels, strict=True):
        chart.add(label, [round(100 * (tiers.get(key) or 0), 1) if tiers else None for _, tiers in rows])
    return _svg(chart, title)


def bars(categories: list[str], series: list[tuple[str, list]], title: str, *, percent: bool = False) -> Markup:
    """Grouped bars: one group per category, one bar per series (a province)."""
    chart = _base(pygal.Bar, value_formatter=(lambda v: f"{v:.1f} %") if percent else (lambda v: f"{v:.2f}"))
    chart.x_labels = categories
    for name, values in series:
        chart.add(name, [None if v is None else (100 * v if percent else v) for v in values])
    return _svg(chart, title)


def ranked(points: list[tuple[str, float, bool]], title: str, *, percent: bool = False) -> Markup:
    """Provinces' values from lowest to highest, the province's own bar in its own colour."""
    chart = _base(
        pygal.Bar,
        height=300,
        show_legend=False,
        value_formatter=(lambda v: f"{v:.1f} %") if percent else (lambda v: f"{v:.2f}"),
    )
    chart.x_labels = [name for name, _, _ in points]
    chart.add(
        title,
        [
            {"value": 100 * value if percent else value, "color": "#7a1f1f" if own else "#9aa5b1"}
            for _, value, own in points
        ],
    )
    return _svg(chart, title)


def lines(months: list[str], series: list[tuple[str, list]], median: list, title: str, *, percent: bool) -> Markup:
    """An indicator month by month, a line per province and the provinces' median dashed."""
    chart = _base(
        pygal.Line,
        value_formatter=(lambda v: f"{v:.1f} %") if percent else (lambda v: f"{v:.2f}"),
        x_label_rotation=0,
        allow_interruptions=True,
    )
    chart.x_labels = months
    scale = 100 if percent else 1
    for name, values in series:
        chart.add(name, [None if v is None else scale * v for v in values])
    chart.add(
        title_median(),
        [None if v is None else scale * v for v in median],
        stroke_style={"dasharray": "6,4", "width": 3},
    )
    return _svg(chart, title)


def title_median() -> str:
    return _("Trung vị các tỉnh")
