"""Search: query language, filters, facets, highlighted hits, paging, export, saved searches.

The whole view lives in the URL (see competiscan.ui.state.SearchState), so the address bar
is a link a colleague can open to see the same thing.
"""

from dataclasses import replace

import streamlit as st

from competiscan.ui import data, search
from competiscan.ui.resources import open_workbench
from competiscan.ui.state import SearchState
from competiscan.ui.urlstate import read_params, seed_widgets, show_share_link, write_params
from competiscan.ui.widgets import show_problems, user_errors

wb = open_workbench()
url_state = SearchState.from_params(read_params())
seed_widgets("search", search.widget_values(url_state))

st.title("Search")
search.query_box()
with st.sidebar:
    search.filter_widgets(wb, url_state)
state = search.state_from_widgets(url_state)

with user_errors():
    result = data.search(wb, state.request())
    pages = search.page_count(result, state.per_page)
    if state.page > pages:  # a link to a page past the end shows the last page
        state = replace(state, page=pages)
        result = data.search(wb, state.request())
if state.page != st.session_state["s_page"]:
    st.session_state["s_page"] = state.page
write_params("search", state.to_params())
show_problems(url_state.problems)

results, side = st.columns([3, 1], gap="large")
with results:
    if not result.total:
        if data.summary(wb)["campaigns"]:
            st.info("No campaign matches. Try fewer words, `OR` between alternatives, or clear "
                    "some filters in the sidebar.")
        else:
            st.info("The store is empty: upload campaign files first.")
            st.page_link("views/upload.py", label="Go to Upload", icon=":material/upload_file:")
    else:
        search.show_hits(result, state)
        search.pager(result, state)
with side:
    show_share_link("search", state.to_params())
    search.export_buttons(wb, state, result.total)
    search.save_search_form(wb, state)
    if result.total:
        search.show_facets(result)
    with st.expander("Saved searches"):
        search.saved_search_links(wb)
