"""Plotly figures with a title and both axes labelled with their units.

Builders take tidy frames (one row per point) and never compute anything: what a chart shows
is exactly the frame the page offers as CSV beside it. They use plotly.graph_objects directly:
plotly.express costs ~50 ms per figure (measured), which a page with six charts cannot afford
on every rerun.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

__all__ = ["line", "bars", "scatter", "forecast_chart", "series_colours"]

_LAYOUT = dict(margin=dict(l=10, r=10, t=60, b=10), legend_title_text="", hovermode="x unified",
               height=420)
_MARKERS_UP_TO = 60   # points per line; beyond that markers only clutter
_PALETTE = qualitative.Plotly


def series_colours(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per name, so one company looks the same in every chart of a page."""
    return {name: _PALETTE[n % len(_PALETTE)] for n, name in enumerate(names)}


def _groups(frame: pd.DataFrame, color: str | None,
            order: Sequence[str] | None = None) -> Iterator[tuple[str, pd.DataFrame]]:
    """(name, rows) per series: in ``order`` when given, else in order of first appearance."""
    if color is None:
        yield "", frame
        return
    groups = {str(name): rows for name, rows in frame.groupby(color, sort=False)}
    for name in (order if order is not None else list(groups)):
        if name in groups:
            yield name, groups[name]


def _figure(traces: list[Any], title: str, x_title: str, y_title: str,
            y_percent: bool = False) -> go.Figure:
    fig = go.Figure(data=traces)
    fig.update_layout(title=dict(text=title), xaxis_title=x_title, yaxis_title=y_title,
                      showlegend=len(traces) > 1 or bool(traces and traces[0].name), **_LAYOUT)
    if y_percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def line(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, y_percent: bool = False,
         colours: dict[str, str] | None = None) -> go.Figure:
    """One line per ``color`` group; ``colours`` fixes each group's colour and order."""
    traces = []
    for name, rows in _groups(frame, color, list(colours) if colours else None):
        mode = "lines+markers" if len(rows) <= _MARKERS_UP_TO else "lines"
        traces.append(go.Scatter(x=rows[x], y=rows[y], name=name, mode=mode,
                                 line=dict(color=colours[name]) if colours else None))
    return _figure(traces, title, x_title, y_title, y_percent)


def bars(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, y_percent: bool = False, stacked: bool = False,
         horizontal: bool = False) -> go.Figure:
    traces = [go.Bar(x=rows[y], y=rows[x], name=name, orientation="h") if horizontal
              else go.Bar(x=rows[x], y=rows[y], name=name)
              for name, rows in _groups(frame, color)]
    if horizontal:
        fig = _figure(traces, title, y_title, x_title)
        fig.update_layout(yaxis=dict(autorange="reversed"))
        if y_percent:
            fig.update_xaxes(tickformat=".0%")
    else:
        fig = _figure(traces, title, x_title, y_title, y_percent)
    fig.update_layout(barmode="stack" if stacked else "group", hovermode="closest")
    return fig


def scatter(frame: pd.DataFrame, x: str, y: str, label: str, *, title: str, x_title: str,
            y_title: str, colours: dict[str, str] | None = None) -> go.Figure:
    """One labelled point per row (a company placed on two measures)."""
    colours = colours or series_colours([str(v) for v in frame[label]])
    traces = [go.Scatter(x=rows[x], y=rows[y], name=name, text=rows[label],
                         mode="markers+text", textposition="top center",
                         marker=dict(size=14, color=colours.get(name)))
              for name, rows in _groups(frame, label, list(colours))]
    fig = _figure(traces, title, x_title, y_title)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def forecast_chart(frame: pd.DataFrame, *, title: str, y_title: str) -> go.Figure:
    """History solid, forecast dashed, one colour per company (frame: company, period, value,
    kind)."""
    traces = []
    colours = series_colours(list(dict.fromkeys(frame["company"].astype(str))))
    for company, rows in _groups(frame, "company"):
        colour = colours[company]
        for kind, dash in (("history", "solid"), ("forecast", "dash")):
            part = rows[rows["kind"] == kind]
            traces.append(go.Scatter(x=part["period"], y=part["value"], mode="lines",
                                     name=f"{company} ({kind})", legendgroup=company,
                                     line=dict(color=colour, dash=dash)))
    return _figure(traces, title, "Week starting", y_title)
