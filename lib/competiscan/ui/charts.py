"""Plotly figures that read right.

- Every figure has a title and, under it, the filters it shows (:func:`filter_subtitle`), so a
  downloaded PNG keeps its context; axes say what they measure and in which unit; legends and
  hover show people's words ("Direct mail"), never codes.
- One colour per company, and per channel, campaign type or industry, for the whole session
  (:func:`series_colours`): a company looks the same on Trends, Competitors and Forecast, and
  keeps its colour when the selection changes.
- Shares of voice stack to 100% with the rest of the market as :data:`OTHER`
  (:func:`stacked_shares`); offer terms are steps held over their period, with a gap where a
  period has no piece (:func:`steps`); a period the data covers only in part is shaded and
  labelled "partial", and a line's segment into it is dotted (the ``partial`` argument).

Builders take tidy frames (one row per point) and never compute anything: what a chart shows
is exactly the frame the page offers as CSV beside it. They use plotly.graph_objects directly:
plotly.express costs ~50 ms per figure (measured), which a page with six charts cannot afford
on every rerun.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, Iterable, Iterator, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import hex_to_rgb, qualitative, unlabel_rgb

from ..model import CAMPAIGN_TYPES, CHANNELS, INDUSTRIES, SENTIMENT_LABELS, CampaignFilter
from .labels import offer_label, pretty

__all__ = ["line", "bars", "scatter", "stacked_shares", "steps", "forecast_chart",
           "series_colours", "assign_colours", "filter_subtitle", "partial_notes", "OTHER",
           "PALETTE"]

# The rest of the market in a stacked share of voice: one grey band, never a company colour.
OTHER = "Other companies"
_OTHER_COLOUR = "#C9CCD1"

# Plotly's, D3's and Dark24's qualitative colours, greys and near-black left out: a grey is the
# rest of the market, and near-black reads as an axis.
PALETTE: tuple[str, ...] = tuple(dict.fromkeys(
    c.upper() for c in (*qualitative.Plotly, *qualitative.D3, *qualitative.Dark24)
    if c.upper() not in {"#7F7F7F", "#222A2A", "#778AAE"}))

# Vocabulary dimensions get their colours in vocabulary order, the same in every session.
_VOCABULARY = {"channel": CHANNELS, "campaign_type": CAMPAIGN_TYPES, "industry": INDUSTRIES,
               "sentiment_label": SENTIMENT_LABELS}
_SESSION_KEY = "_series_colours"

_LAYOUT = dict(margin=dict(l=10, r=10, t=84, b=10), legend_title_text="", hovermode="x unified",
               height=440)
_MARKERS_UP_TO = 60   # points per line; beyond that markers only clutter
_SUBTITLE_MAX = 150   # characters: a longer subtitle is cut, the chart stays readable
_LISTED = 3           # values of one filter named before "+N more"
_PARTIAL_FILL = "rgba(120, 120, 120, 0.13)"


# ---------------------------------------------------------------------------- colours
def assign_colours(names: Iterable[str], known: dict[str, str]) -> dict[str, str]:
    """Each of ``names`` with its colour: a name in ``known`` keeps its own; a new one takes
    the first palette colour no known name has (the least used once all are taken) and is
    added to ``known``."""
    out: dict[str, str] = {}
    for name in names:
        if name == OTHER:
            out[name] = _OTHER_COLOUR
            continue
        if name not in known:
            used = Counter(known.values())
            known[name] = min(PALETTE, key=lambda c: (used[c], PALETTE.index(c)))
        out[name] = known[name]
    return out


def _seed(dimension: str) -> dict[str, str]:
    vocabulary = _VOCABULARY.get(dimension, ())
    return {pretty(value): PALETTE[n % len(PALETTE)] for n, value in enumerate(vocabulary)}


def series_colours(names: Sequence[str], dimension: str = "company") -> dict[str, str]:
    """A colour per name (as the legend shows it) of ``dimension``, kept in the session: the
    same company has the same colour on every chart of every page, whatever else is drawn."""
    kept = st.session_state.setdefault(_SESSION_KEY, {})
    if dimension not in kept:
        kept[dimension] = _seed(dimension)
    return assign_colours(names, kept[dimension])


# ---------------------------------------------------------------------------- titles
def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_LISTED])
    return f"{shown} +{len(values) - _LISTED} more" if len(values) > _LISTED else shown


def _range_text(term: str, low: float | None, high: float | None) -> str:
    def number(v: float) -> str:
        return f"{v:g}"
    label = offer_label(term)
    if low is not None and high is not None:
        return f"{label} {number(low)}–{number(high)}"
    return f"{label} ≥ {number(low)}" if low is not None else f"{label} ≤ {number(high)}"


def filter_subtitle(where: CampaignFilter, first: date | None = None,
                    last: date | None = None, *, companies: bool = True) -> str:
    """The filters of a chart in one line: ``Email, Direct mail · Chase, Citi · 2024-01-01 to
    2024-06-30``. ``first``/``last`` (the days the data covers) stand in for dates the filters
    leave open; ``companies=False`` leaves the companies out (charts whose legend lists them
    and whose market is every company)."""
    parts = [_listed(list(where.companies)) if companies else "",
             _listed(list(where.products)),
             _listed([pretty(v) for v in where.channels]),
             _listed([pretty(v) for v in where.campaign_types]),
             _listed([pretty(v) for v in where.industries]),
             _listed([f"{pretty(v)} tone" for v in where.sentiments]),
             ", ".join(_range_text(*r) for r in where.offer_ranges)]
    start, end = where.date_from or first, where.date_to or last
    if start and end:
        parts.append(f"{start.isoformat()} to {end.isoformat()}")
    elif start or end:
        parts.append(f"from {start.isoformat()}" if start else f"to {end.isoformat()}")
    text = " · ".join(p for p in parts if p) or "All campaigns"
    return text if len(text) <= _SUBTITLE_MAX else text[:_SUBTITLE_MAX - 1].rstrip() + "…"


# ---------------------------------------------------------------------------- partial periods
def partial_notes(periods: Sequence[Any], flags: Sequence[bool], first: date | None,
                  last: date | None) -> dict[Any, str]:
    """``{period: "data from …" or "data to …"}`` for the flagged periods (keyed by the very
    values given, so a chart finds them on its x axis): what a chart writes on a period the
    data covers only in part."""
    notes: dict[Any, str] = {}
    for period, flag in zip(periods, flags):
        if flag and first and last:
            early = pd.Timestamp(period).date() < first
            notes[period] = f"data from {first.isoformat()}" if early else \
                f"data to {last.isoformat()}"
    return notes


def _mark_partial(fig: go.Figure, xs: Sequence[Any], partial: Mapping[Any, str] | None) -> None:
    """A shaded band labelled "Partial" centred on each partial period of the x axis (the
    label's hover says what the data covers; the subtitle's dates say it in a PNG)."""
    if not partial:
        return
    axis = sorted({pd.Timestamp(x) for x in xs})
    for period, note in partial.items():
        at = pd.Timestamp(period)
        if at not in axis:
            continue
        i = axis.index(at)
        left = (at - axis[i - 1]) / 2 if i > 0 else None
        right = (axis[i + 1] - at) / 2 if i + 1 < len(axis) else None
        half = left or right or pd.Timedelta(days=3)
        last = i == len(axis) - 1 and len(axis) > 1
        fig.add_vrect(x0=at - (left or half), x1=at + (right or half), fillcolor=_PARTIAL_FILL,
                      line_width=0, layer="below", annotation_text="Partial",
                      annotation_hovertext=f"Partial period: {note}",
                      annotation_position="top right" if last else "top left",
                      annotation_font=dict(size=11, color="#555"))


# ---------------------------------------------------------------------------- building blocks
def _groups(frame: pd.DataFrame, color: str | None,
            order: Sequence[str] | None = None) -> Iterator[tuple[str, pd.DataFrame]]:
    """(name, rows) per series: those in ``order`` first, in that order, then the others in
    order of first appearance."""
    if color is None:
        yield "", frame
        return
    groups = {str(name): rows for name, rows in frame.groupby(color, sort=False)}
    for name in dict.fromkeys([*(order or ()), *groups]):
        if name in groups:
            yield name, groups[name]


def _figure(traces: list[Any], title: str, x_title: str, y_title: str, subtitle: str = "",
            y_percent: bool = False) -> go.Figure:
    fig = go.Figure(data=traces)
    named = [t for t in traces if t.showlegend is not False and t.name]
    fig.update_layout(title=dict(text=title, subtitle=dict(text=subtitle)),
                      xaxis_title=x_title, yaxis_title=y_title, showlegend=bool(named),
                      **_LAYOUT)
    # Room for the tick labels and the axis titles, however long, instead of a fixed margin.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if y_percent:
        fig.update_yaxes(tickformat=".0%", hoverformat=".1%")
    return fig


def _partial_split(xs: list[Any], ys: list[Any], partial: Mapping[Any, str]
                   ) -> tuple[list[Any], list[Any], list[str], list[str]]:
    """A line's points split for drawing: (solid ys without the partial points, dotted ys of the
    partial points and their neighbours, each dotted point's hover (skip for a neighbour, drawn
    on the solid line already) and its note)."""
    flags = [x in partial for x in xs]
    n = len(xs)
    near = [flags[i] or (i > 0 and flags[i - 1]) or (i + 1 < n and flags[i + 1])
            for i in range(n)]
    solid = [None if f else y for f, y in zip(flags, ys)]
    dotted = [y if keep else None for keep, y in zip(near, ys)]
    hover = ["x+y+text+name" if f else "skip" for f in flags]
    notes = [f"partial: {partial[x]}" if f else "" for x, f in zip(xs, flags)]
    return solid, dotted, hover, notes


def _line_traces(name: str, xs: list[Any], ys: list[Any], colour: str | None,
                 partial: Mapping[Any, str]) -> list[go.Scatter]:
    """One series: solid over complete periods, dotted into a partial one (which also hovers
    with its note and an open marker)."""
    mode = "lines+markers" if len(xs) <= _MARKERS_UP_TO else "lines"
    style = dict(color=colour) if colour else {}
    if not any(x in partial for x in xs):
        return [go.Scatter(x=xs, y=ys, name=name, mode=mode, line=style, legendgroup=name)]
    solid, dotted, hover, notes = _partial_split(xs, ys, partial)
    return [go.Scatter(x=xs, y=solid, name=name, mode=mode, line=style, legendgroup=name,
                       connectgaps=False),
            go.Scatter(x=xs, y=dotted, name=f"{name} (partial period)" if name else
                       "Partial period", mode="lines+markers", legendgroup=name,
                       showlegend=False, connectgaps=False, line=dict(style, dash="dot"),
                       marker=dict(symbol=["circle-open" if n else "circle" for n in notes],
                                   size=[9 if n else 6 for n in notes]), text=notes,
                       hoverinfo=hover)]


# ---------------------------------------------------------------------------- figures
def line(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, subtitle: str = "", y_percent: bool = False,
         colours: Mapping[str, str] | None = None, colour: str | None = None,
         partial: Mapping[Any, str] | None = None) -> go.Figure:
    """One line per ``color`` group (``colour``: the colour of a single unnamed line);
    ``colours`` fixes each group's colour and puts them first in its order; ``partial`` maps
    x values the data covers only in part to their note."""
    partial = partial or {}
    traces: list[Any] = []
    for name, rows in _groups(frame, color, list(colours) if colours else None):
        rows = rows.sort_values(x)
        traces += _line_traces(name, rows[x].tolist(), rows[y].tolist(),
                               (colours or {}).get(name, colour), partial)
    fig = _figure(traces, title, x_title, y_title, subtitle, y_percent)
    _mark_partial(fig, frame[x].tolist(), partial)
    return fig


def stacked_shares(frame: pd.DataFrame, x: str, y: str, series: str, *, title: str,
                   x_title: str, y_title: str, subtitle: str = "",
                   colours: Mapping[str, str] | None = None,
                   partial: Mapping[Any, str] | None = None) -> go.Figure:
    """Shares stacked to 100%: one filled band per ``series`` in the order of ``colours``
    (the frame's rows of a period add up to 1, its rest of the market included as
    :data:`OTHER`)."""
    traces = []
    for name, rows in _groups(frame, series, list(colours) if colours else None):
        rows = rows.sort_values(x)
        colour = (colours or {}).get(name)
        traces.append(go.Scatter(
            x=rows[x], y=rows[y], name=name, mode="lines", stackgroup="share",
            groupnorm="fraction", line=dict(width=0.8, color=colour), fillcolor=colour,
            text=[f"partial: {partial[p]}" if partial and p in partial else ""
                  for p in rows[x]],
            hovertemplate="%{y:.1%} %{text}"))   # plotly adds the series' name
    fig = _figure(traces, title, x_title, y_title, subtitle, y_percent=True)
    fig.update_yaxes(range=[0, 1])
    _mark_partial(fig, frame[x].tolist(), partial)
    return fig


def steps(frame: pd.DataFrame, x: str, x_end: str, y: str, series: str, *, title: str,
          x_title: str, y_title: str, subtitle: str = "", text: str | None = None,
          colours: Mapping[str, str] | None = None, dashes: Mapping[str, str] | None = None,
          partial: Mapping[Any, str] | None = None) -> go.Figure:
    """Values held over their period, one step line per ``series`` (a column the caller names:
    a company, or a company and product).

    A row holds ``y`` from ``x`` (its period's first day) to ``x_end`` (its last day). A period
    without a row is a gap, not a line across it: there was no piece, which is no evidence of
    no offer. ``text`` names a column of hover labels ("15 months"); ``dashes`` a line style
    per series (products of one company share its colour).
    """
    traces: list[Any] = []
    for name, rows in _groups(frame, series, list(colours) if colours else None):
        rows = rows.sort_values(x)
        xs, ys = _held(rows[x].tolist(), rows[x_end].tolist(), rows[y].tolist())
        style = dict(color=(colours or {}).get(name), dash=(dashes or {}).get(name, "solid"),
                     shape="hv")
        traces.append(go.Scatter(x=xs, y=ys, name=name, mode="lines", line=style,
                                 connectgaps=False, legendgroup=name, hoverinfo="skip"))
        labels = rows[text].tolist() if text else rows[y].tolist()
        notes = [f" (partial: {partial[p]})" if partial and p in partial else ""
                 for p in rows[x]]
        traces.append(go.Scatter(
            x=rows[x], y=rows[y], name=name, mode="markers", legendgroup=name,
            showlegend=False, marker=dict(color=style["color"], size=7),
            text=[f"{label}{note}" for label, note in zip(labels, notes)],
            hovertemplate="%{text}"))
    fig = _figure(traces, title, x_title, y_title, subtitle)
    _mark_partial(fig, frame[x].tolist(), partial)
    return fig


def _held(starts: list[Any], ends: list[Any], values: list[Any]) -> tuple[list[Any], list[Any]]:
    """Points of a step line (shape "hv") holding each value from its period's start to the
    day after its end, with a None between periods that do not follow one another."""
    xs: list[Any] = []
    ys: list[Any] = []
    after: pd.Timestamp | None = None
    for start, end, value in zip(starts, ends, values):
        begin = pd.Timestamp(start)
        if after is not None and begin != after:
            xs += [after, after]
            ys += [ys[-1], None]
        xs.append(begin)
        ys.append(value)
        after = pd.Timestamp(end) + pd.Timedelta(days=1)
    if after is not None:
        xs.append(after)
        ys.append(ys[-1])
    return xs, ys


def bars(frame: pd.DataFrame, x: str, y: str, color: str | None, *, title: str,
         x_title: str, y_title: str, subtitle: str = "", y_percent: bool = False,
         stacked: bool = False, horizontal: bool = False,
         colours: Mapping[str, str] | None = None, colour: str | None = None,
         partial: Mapping[Any, str] | None = None) -> go.Figure:
    """Bars per ``color`` group (``colour``: a single unnamed series' colour); ``partial``
    bars (by their x) are hatched and their period shaded."""
    traces = []
    for name, rows in _groups(frame, color, list(colours) if colours else None):
        marker: dict[str, Any] = {"color": (colours or {}).get(name, colour)}
        if partial:
            marker["pattern"] = dict(shape=["/" if v in partial else "" for v in rows[x]],
                                     solidity=0.35)
        traces.append(go.Bar(x=rows[y], y=rows[x], name=name, orientation="h", marker=marker)
                      if horizontal else go.Bar(x=rows[x], y=rows[y], name=name,
                                                marker=marker))
    if horizontal:
        fig = _figure(traces, title, y_title, x_title, subtitle)
        fig.update_layout(yaxis=dict(autorange="reversed"))
        if y_percent:
            fig.update_xaxes(tickformat=".0%", hoverformat=".1%")
    else:
        fig = _figure(traces, title, x_title, y_title, subtitle, y_percent)
        _mark_partial(fig, frame[x].tolist(), partial)
    fig.update_layout(barmode="stack" if stacked else "group", hovermode="closest")
    return fig


def scatter(frame: pd.DataFrame, x: str, y: str, label: str, *, title: str, x_title: str,
            y_title: str, subtitle: str = "",
            colours: Mapping[str, str] | None = None) -> go.Figure:
    """One labelled point per row (a company placed on two measures)."""
    colours = colours or series_colours([str(v) for v in frame[label]])
    traces = [go.Scatter(x=rows[x], y=rows[y], name=name, text=rows[label],
                         mode="markers+text", textposition="top center",
                         marker=dict(size=14, color=colours.get(name)))
              for name, rows in _groups(frame, label, list(colours))]
    fig = _figure(traces, title, x_title, y_title, subtitle)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def _translucent(colour: str, alpha: float) -> str:
    """``colour`` (#RRGGBB or rgb(...)) as rgba with ``alpha``: a band under its own line."""
    r, g, b = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
    return f"rgba({r:.0f}, {g:.0f}, {b:.0f}, {alpha})"


def forecast_chart(frame: pd.DataFrame, *, title: str, y_title: str, subtitle: str = "",
                   colours: Mapping[str, str] | None = None) -> go.Figure:
    """History solid, forecast dashed from the last week of history, and the forecast's 95%
    and 80% prediction intervals as two bands of the company's colour (frame: company,
    period, value, kind, lower_80, upper_80, lower_95, upper_95, as
    ``ForecastReport.to_frame`` gives it)."""
    names = list(dict.fromkeys(frame["company"].astype(str)))
    colours = colours or series_colours(names)
    traces: list[Any] = []
    for company, rows in _groups(frame, "company", list(colours)):
        colour = colours.get(company) or PALETTE[0]
        rows = rows.sort_values("period")
        history, ahead = rows[rows["kind"] == "history"], rows[rows["kind"] == "forecast"]
        for level, alpha in ((95, 0.12), (80, 0.25)):
            if ahead[f"lower_{level}"].notna().any():
                traces += [go.Scatter(x=ahead["period"], y=ahead[f"upper_{level}"],
                                      mode="lines", line=dict(width=0), legendgroup=company,
                                      showlegend=False, hoverinfo="skip"),
                           go.Scatter(x=ahead["period"], y=ahead[f"lower_{level}"],
                                      mode="lines", line=dict(width=0), fill="tonexty",
                                      fillcolor=_translucent(colour, alpha),
                                      name=f"{company}: {level}% interval",
                                      legendgroup=company, showlegend=False, hoverinfo="skip")]
        traces.append(go.Scatter(x=history["period"], y=history["value"], mode="lines",
                                 name=company, legendgroup=company,
                                 line=dict(color=colour)))
        # Joined to the last week of history; that point's hover is the history line's.
        joined = pd.concat([history.tail(1), ahead])
        text = [f"{a:,.1f}–{b:,.1f} (80%), {c:,.1f}–{d:,.1f} (95%)" if pd.notna(a) else ""
                for a, b, c, d in zip(joined["lower_80"], joined["upper_80"],
                                      joined["lower_95"], joined["upper_95"])]
        traces.append(go.Scatter(
            x=joined["period"], y=joined["value"], mode="lines", name=f"{company}: forecast",
            legendgroup=company, line=dict(color=colour, dash="dash"), text=text,
            hoverinfo=["skip"] * (len(joined) - len(ahead)) + ["x+y+text+name"] * len(ahead)))
    return _figure(traces, title, "Week starting", y_title, subtitle)
