"""Pieces every page uses: error messages, campaign links and tables, downloads, charts."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import pandas as pd
import streamlit as st

from ..model import CampaignFilter
from ..workbench import Workbench, to_csv_bytes
from . import charts, data
from .labels import NO_PRODUCT, field_label, format_offer, md_escape, offer_label, pretty

__all__ = ["CAMPAIGN_PAGE", "user_errors", "campaign_link", "campaign_table", "download_csv",
           "show_chart", "show_problems", "show_offer_changes", "chart_subtitle",
           "partial_periods"]

# st.page_link names a page by the file app.py registered it with.
CAMPAIGN_PAGE = "views/campaign.py"

_CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


@contextmanager
def user_errors(stop: bool = True) -> Iterator[None]:
    """Turn an error the user can cause into a message; with ``stop`` the page ends there.

    Anything else is a bug and propagates (Streamlit shows a generic error; details are in the
    server log, as configured in .streamlit/config.toml).
    """
    try:
        yield
    except Exception as exc:
        from ..errors import USER_ERRORS  # imports ingestion and enrichment: only when needed
        if not isinstance(exc, USER_ERRORS):
            raise
        st.error(str(exc), icon=":material/error:")
        if stop:
            st.stop()


def show_problems(problems: tuple[str, ...]) -> None:
    """What the page could not use from its URL, so a mistyped link is noticed."""
    if problems:
        st.warning("Some link parameters were not understood:\n\n"
                   + "\n".join(f"- {md_escape(p)}" for p in problems))


def campaign_link(campaign_id: int, label: str, *, bold: bool = False) -> None:
    """A link to one campaign's page; the label is user text, so it is escaped."""
    text = md_escape(label) or f"Campaign {campaign_id}"
    st.page_link(CAMPAIGN_PAGE, label=f"**{text}**" if bold else text,
                 query_params={"id": str(int(campaign_id))})


def campaign_table(frame: pd.DataFrame, *, key: str | None = None) -> None:
    """Campaign rows, title first, with their id as a link to the campaign page (it opens a
    new tab, which works because the campaign page needs nothing but its URL)."""
    shown = frame.copy()
    for column in ("channel", "campaign_type", "industry", "sentiment_label"):
        if column in shown.columns:
            shown[column] = [pretty(v) for v in shown[column]]
    column_config: dict[str, Any] = {c: field_label(c) for c in shown.columns if c != "id"}
    if "title" in shown.columns:
        column_config["title"] = st.column_config.TextColumn("Title", width="medium")
    if "id" in shown.columns:
        shown["id"] = "campaign?id=" + shown["id"].astype(int).astype(str)
        column_config["id"] = st.column_config.LinkColumn(
            "Open", display_text=r"campaign\?id=(\d+)", width="small",
            help="Open the campaign's page (new tab)")
    order = [c for c in ("title", "company", "id") if c in shown.columns]
    order += [c for c in shown.columns if c not in order]
    st.dataframe(shown, hide_index=True, column_config=column_config, column_order=order,
                 key=key, placeholder="—")


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """The frame as a spreadsheet-safe CSV (formula-like cells neutralised)."""
    st.download_button(label, to_csv_bytes(frame), file_name=file_name, mime="text/csv",
                       icon=":material/download:", on_click="ignore", key=key)


def show_offer_changes(changes: pd.DataFrame, *, key: str, with_company: bool = True) -> None:
    """The changes feed of offers (analytics.offer_changes), newest first, values as written
    in offers ("15 months", "$95"); each change is of one product."""
    rows = changes.sort_values(["period", "company", "product"], ascending=[False, True, True])
    table = pd.DataFrame({
        "Period": rows["period"], "Company": rows["company"],
        "Product": rows["product"].fillna(NO_PRODUCT),
        "Term": [offer_label(t, u) for t, u in zip(rows["term"], rows["unit"])],
        "Before": [format_offer(t, v, u) for t, v, u in
                   zip(rows["term"], rows["previous_best"], rows["unit"])],
        "Now": [format_offer(t, v, u) for t, v, u in zip(rows["term"], rows["best"],
                                                          rows["unit"])],
        "Better for the customer": rows["improved"]})
    if not with_company:
        table = table.drop(columns="Company")
    st.dataframe(table, hide_index=True, key=key, height=min(38 + 35 * len(table), 390))


def show_chart(figure: Any, key: str) -> None:
    """A figure with the toolbar's PNG download named after the chart (its title and filters
    are drawn in the image, so the file keeps its context)."""
    config = dict(_CHART_CONFIG, toImageButtonOptions={"format": "png", "filename": key,
                                                       "scale": 2})
    st.plotly_chart(figure, config=config, key=key)


def chart_subtitle(workbench: Workbench, where: CampaignFilter, *,
                   companies: bool = True) -> str:
    """The filters of a chart in one line, with the dates the data covers when the filters
    leave them open."""
    covered = data.coverage(workbench, where.date_from, where.date_to)
    return charts.filter_subtitle(where, covered.first, covered.last, companies=companies)


def partial_periods(workbench: Workbench, periods: Sequence[Any], interval: str,
                    where: CampaignFilter, window: int = 1) -> dict[Any, str]:
    """The periods (of ``window`` buckets of ``interval``) the data covers only in part, with
    what it covers: ``{period: "data to 2024-06-10"}``, for a chart to mark them."""
    covered = data.coverage(workbench, where.date_from, where.date_to)
    unique = list(dict.fromkeys(periods))
    return charts.partial_notes(unique, covered.partial(unique, interval, window),
                                covered.first, covered.last)
