"""Plotly figures with a title and both axes labelled with their units.

Builders take tidy frames (one row per point) and never compute anything: what a chart shows
is exactly the frame the page offers as CSV beside it.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

__all__ = ["line", "bars", "scatter", "forecast_chart"]

_LAYOUT = dict(margin=dict(l=10, r=10, t=60, b=10), legend_title_text="", hovermode="x unified",
               height=420)


def _finish(fig: go.Figure, title: str, x_title: str, y_title: str,
            y_percent: bool = False) -> go.Figure:
    fig.update_layout(title=dict(text=title), xaxis_title=x_title, yaxis_title=y_title,
                      **_LAYOUT)
    if y_percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def line(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, y_percent: bool = False, dash: str | None = None
         ) -> go.Figure:
    fig = px.line(frame, x=x, y=y, color=color, line_dash=dash, markers=len(frame) <= 60)
    return _finish(fig, title, x_title, y_title, y_percent)


def bars(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, y_percent: bool = False, stacked: bool = False,
         horizontal: bool = False) -> go.Figure:
    if horizontal:
        fig = px.bar(frame, x=y, y=x, color=color, orientation="h",
                     barmode="stack" if stacked else "group")
        fig = _finish(fig, title, y_title, x_title)
        if y_percent:
            fig.update_xaxes(tickformat=".0%")
        fig.update_layout(hovermode="closest", yaxis=dict(autorange="reversed"))
        return fig
    fig = px.bar(frame, x=x, y=y, color=color, barmode="stack" if stacked else "group")
    fig = _finish(fig, title, x_title, y_title, y_percent)
    fig.update_layout(hovermode="closest")
    return fig


def scatter(frame: pd.DataFrame, x: str, y: str, label: str, *, title: str, x_title: str,
            y_title: str, x_percent: bool = False) -> go.Figure:
    fig = px.scatter(frame, x=x, y=y, text=label, color=label)
    fig.update_traces(textposition="top center", marker=dict(size=14))
    fig = _finish(fig, title, x_title, y_title)
    fig.update_layout(hovermode="closest", showlegend=False)
    if x_percent:
        fig.update_xaxes(tickformat=".1%")
    return fig


def forecast_chart(frame: pd.DataFrame, *, title: str, y_title: str) -> go.Figure:
    """History as solid lines, forecast dashed, one colour per company."""
    fig = px.line(frame, x="period", y="value", color="company", line_dash="kind",
                  line_dash_map={"history": "solid", "forecast": "dash"})
    return _finish(fig, title, "Week starting", y_title)
