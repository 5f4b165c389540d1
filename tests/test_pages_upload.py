"""Upload page: preview with the detected mapping, corrected mapping, import report with
rejected rows, history and undo after a confirmation."""

from __future__ import annotations

from test_pages_support import (app_env, assert_no_literal_none, csv_of,  # noqa: F401
                                dataframes, open_page, texts)
from actors import TESTER

CLASSIC = ("company_name,title,subject_line,campaign_type,channel,launch_date,content,keywords\n"
           'Barclays,View Card,,acquisition,email,2024-04-02,"0% intro APR for 15 months",'
           '"apr, balance"\n'
           ',No Company,,acquisition,email,2024-04-03,"This row has no company",\n'
           'Synchrony,Store Card,,promotional,telepathy,2024-04-04,"20% off",\n')


def _uploader(at):
    return at.file_uploader(key=f"upload_files:{at.session_state['upload_generation']}")


def _mapping_box(at, column: str):
    return next(s for s in at.selectbox if s.label == column)


def _upload(at, name: str, data: bytes, mime: str = "text/csv"):
    _uploader(at).set_value((name, data, mime)).run()
    return at


def test_a_file_is_previewed_mapped_imported_and_reported(app_env):
    before = app_env._store.count()
    at = _upload(open_page("upload"), "classic.csv", CLASSIC.encode())
    assert _mapping_box(at, "company_name").value == "company"
    assert _mapping_box(at, "keywords").value == "keywords"
    assert any("3 rows, 8 columns" in t for t in texts(at.caption))
    at.button(key="upload_import").click().run()
    assert any("imported as upload" in t for t in texts(at.success))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows read"] == "3" and metrics["New campaigns"] == "2"
    assert metrics["Rejected rows"] == "1"
    issues = next(f for f in dataframes(at) if "reason" in f.columns)
    assert set(issues["column"]) >= {"company_name", "channel"}
    # an unknown channel is a warning: the row is kept, stored as Other
    channel = issues[issues["column"] == "channel"].iloc[0]
    assert channel["kind"] == "warning" and channel["value"] == "telepathy"
    assert "stored as Other" in channel["reason"]
    assert any("rejected rows" in b.proto.label.lower() for b in at.get("download_button"))
    assert app_env._store.count() == before + 2
    assert_no_literal_none(at)   # the empty company of the rejected row is no "None"
    assert len(_uploader(at).value or []) == 0  # the drop zone is emptied after an import


def test_a_wrong_mapping_can_be_corrected_before_importing(app_env):
    data = csv_of([{"Firm": "Zenith Credit Union", "Blurb": "Pay over time with 0% APR", "When":
                    "2024-05-01", "Where": "email"}])
    at = _upload(open_page("upload"), "odd.csv", data)
    assert any("Map a column to Company" in t for t in texts(at.error))
    assert at.button(key="upload_import").disabled
    assert at.button(key="upload_import").label == "Nothing to import yet"   # never "Import 0"
    _mapping_box(at, "Firm").set_value("company").run()
    _mapping_box(at, "Blurb").set_value("content").run()
    _mapping_box(at, "When").set_value("launch_date").run()
    assert not at.error
    assert at.button(key="upload_import").label == "Import 1 file"
    at.button(key="upload_import").click().run()
    assert any("imported" in t for t in texts(at.success))
    stored = app_env._store.export_frame(["company", "content", "launch_date"])
    [row] = stored[stored["company"] == "Zenith Credit Union"].to_dict("records")
    assert row["content"] == "Pay over time with 0% APR"
    assert str(row["launch_date"]) == "2024-05-01"


def test_an_unreadable_file_is_a_message(app_env):
    at = _upload(open_page("upload"), "broken.json", b"{not json")
    assert any("cannot be read" in t for t in texts(at.error))
    assert at.button(key="upload_import").disabled


def test_history_lists_uploads_and_undo_asks_first(app_env):
    extra = app_env.campaigns.ingest(TESTER, csv_of([{"company_name": "Ally", "title": "Ally savings",
                                          "content": "4.20% APY", "launch_date": "2024-05-05"}]),
                                 "ally.csv")
    before = app_env._store.count()
    at = open_page("upload")
    history = next(f for f in dataframes(at) if "filename" in f.columns)
    assert list(history["filename"][:2]) == ["ally.csv", "fixture.csv"]
    assert at.selectbox(key="history_batch").value == extra.batch_id
    at.button(key=f"undo_ask:{extra.batch_id}").click().run()
    assert any("cannot be reversed" in t for t in texts(at.warning))
    assert app_env._store.count() == before  # nothing happens before the confirmation
    at.button(key=f"undo_yes:{extra.batch_id}").click().run()
    assert any("undone: 1 campaign removed" in t for t in texts(at.success))
    assert app_env._store.count() == before - 1
    assert app_env._store.batch(extra.batch_id)["status"] == "undone"
