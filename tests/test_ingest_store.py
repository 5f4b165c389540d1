"""Storage + ingestion suite: runs on DuckDB and PostgreSQL alike (see conftest.store)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pandas as pd
import pytest

from competiscan.workbench import to_csv_bytes
from competiscan.ingest import prepare_bytes
from competiscan.store import NotFoundError, StoreError
from actors import TESTER

CLASSIC = ("company_name,title,subject_line,campaign_type,channel,launch_date,content,keywords\n"
           'Chase,Sapphire Preferred,Earn 60k points,acquisition,email,2024-01-15,'
           '"Earn 60,000 bonus points after you spend $4,000 in the first 3 months","travel, points"\n'
           'Capital One,Venture X,,promotional,Direct Mail,01/20/2024,'
           '"Earn 75,000 miles. $395 annual fee.","miles"\n'
           'Amex,Gold Card,Dining rewards,acquisition,E-mail,15 Jan 2024,'
           '"4X points at restaurants","dining, points"\n')


def ingest(store, data: bytes | str, name: str = "file.csv", aliases=None, today=None):
    if isinstance(data, str):
        data = data.encode("utf-8")
    prepared = prepare_bytes(data, name, source="test",
                             aliases=aliases if aliases is not None else store.company_aliases(),
                             industries=store.company_industries(), today=today)
    if prepared.batch is not None:
        result = store.write_batch(prepared.batch)
        prepared.report.batch_id = result.batch_id
        prepared.report.inserted = result.inserted
        prepared.report.resighted = result.resighted
    return prepared.report


def snapshot(store) -> tuple:
    return (store.count(), len(store.batches()), store.summary()["last_date"])


# ------------------------------------------------------------------------------ happy paths
def test_classic_header_loads_unchanged(store):
    report = ingest(store, CLASSIC)
    assert report.status == "committed"
    assert (report.inserted, report.resighted, report.duplicates, report.rejected_count) == (3, 0, 0, 0)
    frame = store.export_frame(["company", "channel", "launch_date", "keywords", "campaign_type"])
    frame = frame.sort_values("company").reset_index(drop=True)
    assert list(frame["channel"]) == ["email", "direct_mail", "email"]
    assert list(frame["launch_date"]) == [date(2024, 1, 15), date(2024, 1, 20), date(2024, 1, 15)]
    assert frame.loc[2, "keywords"] == "travel, points"


def test_older_variant_names_load(store):
    data = ("company,name,platform,description,industry,date\n"
            "Geico,Bundle and save,Facebook,Save up to 15% when you bundle,Insurance,2024-03-01\n"
            "Verizon,5G Home,YouTube,Get 5G Home Internet for $35/mo,Telecom,2024-03-02\n")
    report = ingest(store, data)
    assert report.inserted == 2 and not report.rejected
    frame = store.export_frame(["company", "channel", "industry", "title", "content"])
    assert set(frame["channel"]) == {"social", "video"}
    assert set(frame["industry"]) == {"insurance", "telecom"}


def test_aliases_normalise_companies(store):
    store.ensure_companies([("Chase", "credit_cards", ["chase", "chasebank", "jpmorganchase"])])
    data = ("company,title,date\nChase Bank,A,2024-01-01\nJPMorgan Chase,B,2024-01-02\n"
            "chase,C,2024-01-03\nNewco Inc,D,2024-01-04\nNEWCO,E,2024-01-05\n")
    ingest(store, data)
    companies = store.export_frame(["company"])["company"].value_counts().to_dict()
    assert companies == {"Chase": 3, "Newco Inc": 2}
    assert store.company_industries()["Chase"] == "credit_cards"


def test_resighting_updates_last_seen_and_adds_no_row(store):
    ingest(store, CLASSIC)
    later = CLASSIC.replace("2024-01-15", "2024-03-01", 1)
    report = ingest(store, later, "later.csv")
    assert (report.inserted, report.resighted) == (0, 3)
    assert store.count() == 3
    chase = store.export_frame(["company", "launch_date", "last_seen"]).set_index("company")
    assert chase.loc["Chase", "launch_date"] == date(2024, 1, 15)
    assert chase.loc["Chase", "last_seen"] == date(2024, 3, 1)


def test_duplicates_within_file_and_in_file_resightings(store):
    row = 'Chase,Sapphire,,acquisition,email,{d},"Same text",x\n'
    data = CLASSIC.splitlines()[0] + "\n" + row.format(d="2024-01-01") * 3 + row.format(d="2024-02-01")
    report = ingest(store, data)
    assert (report.inserted, report.resighted, report.duplicates) == (1, 1, 2)
    assert store.count() == 1


def test_same_file_twice_is_one_campaign_each(store):
    first = ingest(store, CLASSIC)
    second = ingest(store, CLASSIC)
    assert first.inserted == 3 and second.inserted == 0 and second.resighted == 3
    assert store.count() == 3


@pytest.mark.parametrize("by_position", [True, False], ids=["piece-given", "hash-matched"])
def test_mixed_batch_links_every_sighting_to_its_campaign(store, monkeypatch, by_position):
    """New pieces get the next ids; sightings of new and known pieces name the right ones,
    whether the batch says which piece each sighting is of (as ingestion does) or not."""
    write = store.write_batch

    def checked(batch):
        assert "piece" in batch.sightings.column_names
        if not by_position:
            batch.sightings = batch.sightings.drop_columns(["piece"])
        return write(batch)
    monkeypatch.setattr(store, "write_batch", checked)
    head = "company_name,title,channel,launch_date,content\n"
    first = ingest(store, head + "Chase,A,email,2024-01-01,alpha\nAmex,B,email,2024-01-02,beta\n")
    store.mark_indexed([1, 2])
    second_rows = ("Amex,B,email,2024-02-01,beta\nCiti,C,sms,2024-02-03,gamma\n"
                   "Citi,C,sms,2024-02-05,gamma\nChase,A,email,2023-12-01,alpha\n"
                   "Wells,D,email,2024-02-07,delta\n")
    second = ingest(store, head + second_rows, "second.csv")
    assert (second.inserted, second.resighted) == (2, 3)
    frame = store.export_frame(["id", "title", "batch_id", "launch_date", "last_seen"])
    by_title = frame.set_index("title")
    assert sorted(by_title.loc[["C", "D"], "id"]) == [3, 4]
    assert set(by_title.loc[["C", "D"], "batch_id"]) == {second.batch_id}
    seen = {title: sorted((s["seen_on"], s["batch_id"]) for s in store.sightings_of(int(i)))
            for title, i in by_title["id"].items()}
    assert seen == {
        "A": [(date(2023, 12, 1), second.batch_id), (date(2024, 1, 1), first.batch_id)],
        "B": [(date(2024, 1, 2), first.batch_id), (date(2024, 2, 1), second.batch_id)],
        "C": [(date(2024, 2, 3), second.batch_id), (date(2024, 2, 5), second.batch_id)],
        "D": [(date(2024, 2, 7), second.batch_id)]}
    assert by_title.loc["A", "launch_date"] == date(2023, 12, 1)
    assert by_title.loc["B", "last_seen"] == date(2024, 2, 1)
    # the new pieces and the re-dated one wait for the search index; B's span only widened
    pending = {i for table in store.pending_index_tables() for i in table["id"].to_pylist()}
    assert pending == {int(by_title.loc[t, "id"]) for t in ("A", "C", "D")}


def test_large_file_again_resights_every_piece_and_rewrites_none(store, tmp_path):
    """Tens of thousands of known pieces (fetched back in several Arrow chunks): all
    re-sighted, nothing inserted, and no stored row changed when no date moved."""
    from competiscan.generate import generate_campaigns, write_campaigns
    path = tmp_path / "feed.csv"
    write_campaigns(generate_campaigns(40_000, seed=5), path)
    first = ingest(store, path.read_bytes(), "feed.csv")
    before = store.export_frame(["id", "content_hash", "launch_date", "last_seen", "batch_id"])
    again = ingest(store, path.read_bytes(), "feed-again.csv")
    assert (again.inserted, again.resighted) == (0, first.inserted + first.resighted)
    after = store.export_frame(["id", "content_hash", "launch_date", "last_seen", "batch_id"])
    pd.testing.assert_frame_equal(before.sort_values("id").reset_index(drop=True),
                                  after.sort_values("id").reset_index(drop=True))
    assert len(store.sightings_of(int(before["id"].iloc[0]))) >= 2


def test_undo_removes_exactly_what_a_batch_added(store):
    ingest(store, CLASSIC)
    extra = CLASSIC.replace("2024-01-15", "2024-04-01", 1) + \
        "Discover,It Card,,acquisition,email,2024-04-02,Cashback match,\n"
    report = ingest(store, extra, "extra.csv")
    assert (report.inserted, report.resighted) == (1, 3)
    gone = store.undo_batch(report.batch_id)
    assert len(gone) == 1
    assert store.count() == 3
    chase = store.export_frame(["company", "last_seen"]).set_index("company")
    assert chase.loc["Chase", "last_seen"] == date(2024, 1, 15)
    assert store.batch(report.batch_id)["status"] == "undone"
    with pytest.raises(StoreError, match="already undone"):
        store.undo_batch(report.batch_id)
    with pytest.raises(NotFoundError):
        store.undo_batch(999)


def test_undo_first_batch_keeps_campaigns_seen_later(store):
    first = ingest(store, CLASSIC)
    later = ingest(store, CLASSIC.replace("2024-01-15", "2024-05-01"), "later.csv")
    store.undo_batch(first.batch_id)
    frame = store.export_frame(["company", "launch_date", "last_seen", "batch_id"])
    assert len(frame) == 3
    assert set(frame["batch_id"]) == {later.batch_id}
    chase = frame.set_index("company").loc["Chase"]
    assert chase["launch_date"] == chase["last_seen"] == date(2024, 5, 1)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "xlsx", "parquet"])
def test_other_formats(store, tmp_path, fmt):
    frame = pd.read_csv(io.StringIO(CLASSIC), dtype=str)
    path = tmp_path / f"f.{fmt}"
    if fmt == "json":
        path.write_text(frame.to_json(orient="records"))
    elif fmt == "jsonl":
        path.write_text(frame.to_json(orient="records", lines=True))
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    report = ingest(store, path.read_bytes(), path.name)
    assert report.status == "committed" and report.inserted == 3, report.to_dict()


def test_excel_serial_dates_and_typed_dates(store, tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["company", "title", "launch_date"])
    sheet.append(["Chase", "Serial", 45306])            # 2024-01-15 as a plain number
    sheet.append(["Chase", "Typed", date(2024, 2, 1)])  # a real date cell
    path = tmp_path / "dates.xlsx"
    book.save(path)
    ingest(store, path.read_bytes(), path.name)
    frame = store.export_frame(["title", "launch_date"]).set_index("title")
    assert frame.loc["Serial", "launch_date"] == date(2024, 1, 15)
    assert frame.loc["Typed", "launch_date"] == date(2024, 2, 1)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiters(store, delimiter):
    frame = pd.read_csv(io.StringIO(CLASSIC), dtype=str)
    data = frame.to_csv(index=False, sep=delimiter)
    report = ingest(store, data)
    assert report.inserted == 3, report.to_dict()


def test_day_first_dates_are_detected(store):
    data = "company,title,date\nA,x,25/12/2023\nA,y,03/01/2024\n"
    ingest(store, data)
    dates = set(store.export_frame(["launch_date"])["launch_date"])
    assert dates == {date(2023, 12, 25), date(2024, 1, 3)}


# ------------------------------------------------------------------------------ bad input corpus
REFUSED = {
    "empty.csv": (b"", "empty"),
    "blank.csv": (b"   \n\n", "empty"),
    "header_only.csv": (b"company_name,title,content\n", "header but no rows"),
    "garbage.csv": (bytes(range(256)) * 40, "not a text file"),
    "no_company.csv": (b"title,content\nA,B\n", "no company column"),
    "no_text.csv": (b"company,channel\nChase,email\n", "no text column"),
    "unclosed.csv": (b'company,title,content\nChase,"Open quote,never closed\nAmex,x,y\n',
                     "never closed"),
    "bad.json": (b'[{"company": "Chase", "title": "x"}', "invalid JSON"),
    "scalar.json": (b'"hello"', "array of objects"),
    "fake.xlsx": (b"this is not a workbook", "not a readable .xlsx"),
    "fake.parquet": (b"PAR1 nope", "not a readable Parquet"),
    "notes.docx": (b"whatever", "unsupported file type"),
    "all_bad.csv": (b"company,title,date\n,x,2024-01-01\nA,,2024-01-01\n", "no row could"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_change_nothing(store, name):
    ingest(store, CLASSIC)
    before = snapshot(store)
    data, expected = REFUSED[name]
    report = ingest(store, data, name)
    assert report.status == "refused"
    assert expected in report.message, report.message
    assert snapshot(store) == before


def test_wrong_encoding_latin1_is_read(store):
    data = "company,title,content\nSociété Générale,Crédit,Épargne à 3%\n".encode("latin-1")
    report = ingest(store, data)
    assert report.inserted == 1
    assert store.export_frame(["company"])["company"][0] == "Société Générale"


def test_utf8_bom_and_utf16(store):
    ingest(store, "\ufeffcompany,title\nCafé Bank,Offer\n".encode("utf-8"), "bom.csv")
    ingest(store, "company,title\nZürich,Offer\n".encode("utf-16"), "u16.csv")
    assert set(store.export_frame(["company"])["company"]) == {"Café Bank", "Zürich"}


def test_bad_rows_reported_with_row_column_reason_good_rows_kept(store):
    data = ("company,title,channel,launch_date,est_spend_usd\n"
            "Chase,ok,email,2024-01-01,\"$1,200\"\n"
            ",no company,email,2024-01-01,\n"
            "Chase,bad date,email,2024-13-45,\n"
            "Chase,bad channel,billboard,2024-01-01,\n"
            "Chase,bad spend,email,2024-01-02,lots\n")
    report = ingest(store, data)
    assert report.status == "committed"
    assert report.inserted == 3
    got = {(i.row, i.column, i.reason.split(";")[0]) for i in report.rejected}
    assert got == {(3, "company", "company is empty"), (4, "launch_date", "not a date")}
    assert [(w.row, w.column) for w in report.warnings] == [(5, "channel"), (6, "est_spend_usd")]
    spend = store.export_frame(["title", "est_spend_usd"]).set_index("title")["est_spend_usd"]
    assert spend["ok"] == 1200.0 and pd.isna(spend["bad spend"])
    batch = store.batch(report.batch_id)
    assert batch["report"]["rejected_total"] == 2
    assert batch["rejected"] == 2


def test_an_unknown_channel_keeps_its_row_as_other_with_a_warning(store):
    data = ("company,title,channel,launch_date\n"
            "Chase,a,email,2024-01-01\n"
            "Chase,b,billboard,2024-01-01\n"
            "Chase,c,Other,2024-01-02\n"
            "Chase,d,Billboard,2024-01-03\n"
            "Chase,e,,2024-01-04\n")
    report = ingest(store, data, "channels.csv")
    assert report.status == "committed" and report.inserted == 5 and not report.rejected
    # "Other" written in the file is a channel we know; an empty cell stays empty
    assert [(w.row, w.column, w.value) for w in report.warnings] == [
        (3, "channel", "billboard"), (5, "channel", "Billboard")]
    assert report.warnings[0].reason.startswith(
        "channel 'billboard' is not one we know; stored as Other")
    channels = store.export_frame(["title", "channel"]).set_index("title")["channel"]
    assert channels.drop("e").to_dict() == {"a": "email", "b": "other", "c": "other",
                                            "d": "other"}
    assert pd.isna(channels["e"])


def test_arrow_allocations_do_not_use_mimalloc():
    # pyarrow's default here; it cost a 1M-row upload ~3 s of page faults (see competiscan/__init__).
    import pyarrow as pa

    import competiscan  # noqa: F401
    assert pa.default_memory_pool().backend_name in ("jemalloc", "system")


def test_cells_with_line_breaks_are_read_whole_across_arrow_blocks():
    # The fast read assumes no cell breaks a line; a block end inside such a cell is detected
    # and the file read again the careful way. Small files (one block) and large ones alike.
    from competiscan.ingest.readers import read_table
    row = 'Acme {i},"T {i}","line one\nline two, ""quoted""\r\nthree {i}"\n'
    for rows in (3, 400_000):   # 400k rows: ~25 MB, two 16 MB blocks
        data = ("company_name,title,content\n"
                + "".join(row.format(i=i) for i in range(rows))).encode()
        frame = read_table(data, "multi.csv").frame
        assert len(frame) == rows
        assert frame["content"].iloc[-1] == f'line one\nline two, "quoted"\r\nthree {rows - 1}'
        assert frame["company_name"].iloc[-1] == f"Acme {rows - 1}"


def test_plain_number_columns_parse_as_the_general_path_does():
    # A column of plain numbers takes Arrow's parser; one messy cell sends the column through
    # pd.to_numeric and the clean-up. Both must give the same numbers and the same warnings.
    from competiscan.ingest.normalise import parse_numbers
    plain = ["1", " 2 ", "1e3", "+5", ".5", "5.", "-0", "0005", "\u00a012", "inf", "nan",
             "-5", None, "", "  "]
    fast, fast_bad = parse_numbers(pd.Series(plain, dtype="str"))
    general, general_bad = parse_numbers(pd.Series(plain + ["$1,200"], dtype="str"))
    assert general.iloc[-1] == 1200.0 and not general_bad.iloc[-1]
    pd.testing.assert_series_equal(fast, general.iloc[:-1])
    pd.testing.assert_series_equal(fast_bad, general_bad.iloc[:-1])
    assert list(fast_bad) == [False] * 10 + [True, True] + [False] * 3
    assert str(fast.iloc[6]) == "0.0"   # not -0.0


def test_jsonl_bad_lines_are_rejected_with_line_numbers(store):
    data = b'{"company": "Chase", "title": "a"}\nnot json\n[1,2]\n{"company": "Amex", "title": "b"}\n'
    report = ingest(store, data, "x.jsonl")
    assert report.inserted == 2
    assert [(i.row, i.reason.split(" ")[0]) for i in report.rejected] == [(2, "invalid"), (3, "line")]


def test_formula_and_html_text_is_stored_verbatim_and_exported_safely(store):
    data = ('company,title,content\n'
            'Evil,"=HYPERLINK(""http://x"",""click"")","<script>alert(1)</script> <b>bold</b>"\n')
    ingest(store, data)
    row = store.export_frame(["title", "content"]).iloc[0]
    assert row["title"] == '=HYPERLINK("http://x","click")'
    assert row["content"] == "<script>alert(1)</script> <b>bold</b>"
    exported = to_csv_bytes(store.export_frame(["title", "content"])).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported


def test_missing_launch_date_uses_upload_date_with_warning(store):
    report = ingest(store, "company,title,date\nChase,x,\n", today=date(2025, 6, 1))
    assert report.inserted == 1 and report.warnings
    assert store.export_frame(["launch_date"])["launch_date"][0] == date(2025, 6, 1)


@pytest.mark.slow
def test_fifty_megabyte_file(store):
    body = "Chase,Title {i},email,2024-01-{d:02d},\"" + "Lorem ipsum dolor sit amet " * 12 + "{i}\"\n"
    lines = ["company,title,channel,launch_date,content\n"]
    size, i = 0, 0
    while size < 50 * 1024 * 1024:
        line = body.format(i=i, d=i % 28 + 1)
        lines.append(line)
        size += len(line)
        i += 1
    report = ingest(store, "".join(lines).encode())
    assert report.status == "committed"
    assert report.inserted == i and store.count() == i


def test_batch_report_is_json_and_listed(store):
    report = ingest(store, CLASSIC, "classic.csv")
    rows = store.batches()
    assert rows[0]["filename"] == "classic.csv" and rows[0]["inserted"] == 3
    assert json.loads(json.dumps(report.to_dict(), default=str))["inserted"] == 3


def test_schema_migrations_are_idempotent(store, database_url):
    from competiscan.store import open_store
    from competiscan.store.schema import SCHEMA_VERSION
    again = open_store(database_url, create=True)
    assert again.schema_version() == store.schema_version() == SCHEMA_VERSION
    again.close()


def test_pending_migrations_run_in_the_setup_step(store, database_url):
    import sqlalchemy as sa
    from competiscan.store import open_store
    from competiscan.store.schema import SCHEMA_VERSION
    ingest(store, CLASSIC)
    with store.engine.begin() as conn:  # a store left at version 1, with data
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version > 1"))
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_campaigns_date_covering"))
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_campaigns_last_seen"))
        conn.execute(sa.text("DROP TABLE offer_terms"))
        conn.execute(sa.text("UPDATE campaigns SET annual_fee_usd = 95 WHERE company = 'Chase'"))
        # Before version 4 a flag on campaigns said which the search index lacked.
        conn.execute(sa.text("DROP TABLE index_pending"))
        conn.execute(sa.text("ALTER TABLE campaigns ADD COLUMN indexed BOOLEAN NOT NULL "
                             "DEFAULT true"))
        conn.execute(sa.text("UPDATE campaigns SET indexed = false WHERE company = 'Capital One'"))
        # Before version 6 nobody signed in: one saved_searches table, names unique store-wide.
        conn.execute(sa.text("DROP TABLE saved_search_seen"))
        conn.execute(sa.text("DROP TABLE audit_log"))
        conn.execute(sa.text(  # (DuckDB drops no column of a table with indexes)
            "CREATE TABLE upload_batches_v5 AS SELECT id, created_at, source, filename, "
            "file_format, rows_read, inserted, resighted, duplicates, rejected, status, "
            "undone_at, report FROM upload_batches"))
        conn.execute(sa.text("DROP TABLE upload_batches"))
        conn.execute(sa.text("ALTER TABLE upload_batches_v5 RENAME TO upload_batches"))
        conn.execute(sa.text("DROP TABLE saved_searches"))
        conn.execute(sa.text(
            "CREATE TABLE saved_searches (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
            "query TEXT NOT NULL, filters TEXT NOT NULL, created_at TIMESTAMP NOT NULL, "
            "last_checked_at TIMESTAMP NOT NULL)"))
        conn.execute(sa.text(
            "INSERT INTO saved_searches VALUES (1, 'cash', 'cash back', '{}', "
            "TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-02-01 00:00:00')"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("CREATE INDEX ix_campaigns_pending ON campaigns (indexed, id)"))
            # Before version 5 the hashes compared in the database's collation.
            conn.execute(sa.text('ALTER TABLE campaigns ALTER COLUMN content_hash TYPE TEXT '
                                 'COLLATE "default", ALTER COLUMN variant_key TYPE TEXT '
                                 'COLLATE "default"'))
    store.close()
    upgraded = open_store(database_url, create=True)
    assert upgraded.schema_version() == SCHEMA_VERSION
    if upgraded.dialect_name == "postgresql":
        with upgraded.engine.connect() as conn:
            assert {r[0] for r in conn.execute(sa.text(
                "SELECT collation_name FROM information_schema.columns WHERE table_name = "
                "'campaigns' AND column_name IN ('content_hash', 'variant_key')"))} == {"C"}
        assert ingest(upgraded, CLASSIC, "again.csv").resighted == 3
    assert upgraded.count() == 3
    # Version 3 fills offer_terms from the campaigns already stored.
    assert offer_terms(upgraded) == projected_offer_terms(upgraded)
    assert [r[-1] for r in offer_terms(upgraded)] == [95.0]
    # Version 4 moves the flag into index_pending and drops it.
    pending = [t for t in upgraded.pending_index_tables()]
    assert [c for t in pending for c in t["company"].to_pylist()] == ["Capital One"]
    assert upgraded.summary()["pending_index"] == 1
    assert "indexed" not in upgraded.export_frame().columns
    assert upgraded.campaign(pending[0]["id"][0].as_py())["indexed"] is False
    # Version 6: the old saved search is the local user's, shared; when they last looked is kept.
    [saved] = upgraded.saved_searches(visible_to="someone else")
    assert (saved["owner"], saved["name"], saved["shared"]) == ("local user", "cash", True)
    assert upgraded.last_checked(1, "local user") == datetime(2024, 2, 1)
    assert upgraded.batches()[0]["uploaded_by"] is None
    assert upgraded.audit_entries() == []
    upgraded.close()


def _statements_while(block) -> list[str]:
    """The SQL every engine executes while ``block()`` runs."""
    import sqlalchemy as sa
    seen: list[str] = []

    def record(conn, cursor, statement, *rest):
        seen.append(statement)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        block()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return seen


def _writes(statements: list[str]) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "COPY", "CHECKPOINT")
    return [s for s in statements if s.lstrip().upper().startswith(verbs)]


def test_opening_a_store_to_read_writes_nothing(store, database_url):
    from competiscan.store import open_store
    ingest(store, CLASSIC)
    store.close()

    def read() -> None:
        reader = open_store(database_url, create=False)
        try:
            assert reader.count() == 3 and reader.summary()["campaigns"] == 3
        finally:
            reader.close()
    statements = _statements_while(read)
    assert statements and _writes(statements) == []


def test_a_read_path_never_migrates_an_older_store(store, database_url):
    import sqlalchemy as sa
    from competiscan.store import StoreSchemaError, open_store
    from competiscan.store.schema import SCHEMA_VERSION
    ingest(store, CLASSIC)
    with store.engine.begin() as conn:   # as if made before the last migration
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version = :v"),
                     {"v": SCHEMA_VERSION})
    store.close()
    with pytest.raises(StoreSchemaError, match=rf"schema version {SCHEMA_VERSION - 1}.*"
                                              "competiscan init"):
        open_store(database_url, create=False)
    upgraded = open_store(database_url, create=True)
    try:
        assert upgraded.schema_version() == SCHEMA_VERSION and upgraded.count() == 3
    finally:
        upgraded.close()


def test_a_store_from_a_newer_version_is_refused(store, database_url):
    import sqlalchemy as sa
    from competiscan.store import StoreSchemaError, open_store
    from competiscan.store.schema import SCHEMA_VERSION
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_migrations (version, applied_at) "
                             "VALUES (:v, CURRENT_TIMESTAMP)"), {"v": SCHEMA_VERSION + 1})
    store.close()
    with pytest.raises(StoreSchemaError, match="newer Competiscan"):
        open_store(database_url, create=False)


def test_reading_where_there_is_no_store_says_how_to_make_one(database_url, tmp_path):
    from competiscan.store import StoreSchemaError, open_store
    with pytest.raises(StoreSchemaError, match="competiscan init"):
        open_store(database_url, create=False)   # (an empty database)
    assert not (tmp_path / "store.duckdb").exists()   # nothing was created on the way
    missing = tmp_path / "nowhere" / "store.duckdb"
    with pytest.raises(StoreSchemaError, match="no store at .*competiscan init"):
        open_store(f"duckdb:///{missing}", create=False)
    assert not missing.parent.exists()


def offer_terms(store) -> list[tuple]:
    from competiscan.store.schema import OFFER_TERM_COLUMNS
    return sorted(tuple(r.values()) for r in store._rows(
        f"SELECT {', '.join(OFFER_TERM_COLUMNS)} FROM offer_terms"))


def projected_offer_terms(store) -> list[tuple]:
    """offer_terms as a fresh projection of the campaigns would be."""
    from competiscan.store.schema import offer_terms_sql
    return sorted(tuple(r.values()) for r in store._rows(offer_terms_sql("true")))


def test_offer_terms_follow_every_write(settings):
    """The long-form offer table is kept in step with campaigns by every write path: an
    enriched upload, a re-sighting that moves dates, an enrichment run, and undo."""
    from competiscan.workbench import Workbench
    wb = Workbench(settings, create=True)
    try:
        store = wb._store
        first = wb.campaigns.ingest(TESTER, CLASSIC.encode(), "first.csv", index=False)
        rows = offer_terms(store)
        assert rows == projected_offer_terms(store)
        # Chase: 60k points, $4,000 spend, 3 months; Capital One: 75k miles, $395 fee.
        assert sorted((r[1], r[9], r[10]) for r in rows) == [
            ("Capital One", 7, 75000.0), ("Capital One", 12, 395.0),
            ("Chase", 6, 60000.0), ("Chase", 9, 4000.0), ("Chase", 10, 3.0)]
        assert {r[6] for r in rows if r[1] == "Chase"} == {date(2024, 1, 15)}

        earlier = wb.campaigns.ingest(TESTER, CLASSIC.replace("2024-01-15", "2023-12-30").encode(),
                                  "earlier.csv", index=False)
        assert earlier.resighted == 3
        rows = offer_terms(store)
        assert rows == projected_offer_terms(store)
        chase = {(r[6], r[7], r[8]) for r in rows if r[1] == "Chase"}
        assert chase == {(date(2023, 12, 30), date(2023, 12, 1), date(2024, 1, 15))}

        ids = store.export_frame(["id", "company"]).set_index("company")["id"]
        store.write_enrichment(pd.DataFrame({
            "id": [int(ids["Chase"]), int(ids["American Express"])],
            "annual_fee_usd": [95.0, 250.0], "bonus_amount": [None, None],
            "bonus_spend_usd": [None, None], "bonus_window_months": [None, None],
            "campaign_type": ["promotional", "promotional"]}))
        rows = offer_terms(store)
        assert rows == projected_offer_terms(store)
        assert sorted((r[1], r[5], r[9], r[10]) for r in rows if r[1] != "Capital One") == [
            ("American Express", "promotional", 12, 250.0), ("Chase", "promotional", 12, 95.0)]

        wb.campaigns.undo(TESTER, earlier.batch_id)
        rows = offer_terms(store)
        assert rows == projected_offer_terms(store)
        assert {r[6] for r in rows if r[1] == "Chase"} == {date(2024, 1, 15)}
        wb.campaigns.undo(TESTER, first.batch_id)
        assert offer_terms(store) == []
    finally:
        wb.close()


# ------------------------------------------------------------------ PostgreSQL's first big load
_LOADED_TABLES = ("campaigns", "index_pending", "sightings", "offer_terms")


def _indexes(store) -> dict[str, str]:
    return {r["indexname"]: r["indexdef"] for r in store._rows(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
        f"({', '.join(repr(t) for t in _LOADED_TABLES)})")}


@pytest.fixture
def pg_store(pg_database_url):
    from conftest import _reset_pg
    from competiscan.store import open_store
    _reset_pg(pg_database_url)
    s = open_store(pg_database_url, create=True)
    yield s
    s.close()


def _statements(store) -> list[str]:
    import sqlalchemy as sa
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *rest: seen.append(stmt))
    return seen


def test_first_large_load_on_postgresql_rebuilds_the_same_indexes(pg_store, tmp_path):
    """A big first upload drops the secondary indexes of the tables it fills, inserts, and
    builds them again in the same transaction; a later upload into the filled tables keeps
    them all along. Either way the store ends with the same indexes and the same answers."""
    import sqlalchemy as sa
    from competiscan.generate import generate_campaigns
    from competiscan.settings import Settings
    from competiscan.workbench import Workbench
    before = _indexes(pg_store)
    assert len(before) == 12   # campaigns 7 (with the primary key), sightings 2, 1, offer_terms 2
    pg_store.BULK_INSERT_MIN_ROWS = 100
    wb = Workbench(Settings(database_url=pg_store.url, search_url=str(tmp_path / "index"),
                            root=tmp_path), store=pg_store).setup()
    frame = generate_campaigns(400, seed=3)
    seen = _statements(pg_store)
    first = wb.campaigns.ingest(TESTER, frame.iloc[:300].to_csv(index=False).encode(), "first.csv",
                            index=False)
    assert first.inserted > 100
    dropped = {s.split('"')[1] for s in seen if s.startswith("DROP INDEX")}
    assert dropped == set(before) - {"campaigns_pkey"}
    assert _indexes(pg_store) == before
    assert offer_terms(pg_store) == projected_offer_terms(pg_store) != []
    seen.clear()
    again = wb.campaigns.ingest(TESTER, frame.iloc[250:].to_csv(index=False).encode(), "second.csv",
                            index=False)
    assert again.inserted > 0 and again.resighted > 0
    assert not any(s.startswith("DROP INDEX") for s in seen)   # the tables were not empty
    assert _indexes(pg_store) == before
    assert offer_terms(pg_store) == projected_offer_terms(pg_store)
    assert pg_store.summary()["pending_index"] == pg_store.count()
    # the rebuilt unique index still refuses a second row with a stored content hash
    with pytest.raises(sa.exc.IntegrityError):
        with pg_store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO campaigns SELECT * FROM campaigns LIMIT 1"))


def test_failed_first_large_load_on_postgresql_keeps_its_indexes(pg_store):
    from competiscan.generate import generate_campaigns
    before = _indexes(pg_store)
    pg_store.BULK_INSERT_MIN_ROWS = 100
    prepared = prepare_bytes(generate_campaigns(300, seed=4).to_csv(index=False).encode(),
                             "big.csv", source="test", aliases=pg_store.company_aliases(),
                             industries=pg_store.company_industries())

    def fail(*args):   # a fault after the rebuilds, before the commit
        raise RuntimeError("disk full")
    pg_store._record_batch = fail
    with pytest.raises(RuntimeError, match="disk full"):
        pg_store.write_batch(prepared.batch)
    assert pg_store.count() == 0 and pg_store.batches() == []
    assert _indexes(pg_store) == before


def test_campaign_hashes_compare_byte_by_byte_on_postgresql(pg_store):
    """Version 5: the hash columns are COLLATE "C" (faster index builds); a re-upload's
    lookup of its known pieces (staged as plain TEXT) can still use the unique index."""
    import sqlalchemy as sa
    with pg_store.engine.connect() as conn:
        collations = dict(conn.execute(sa.text(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_name = 'campaigns' AND column_name IN ('content_hash', 'variant_key')"
        )).fetchall())
        assert collations == {"content_hash": "C", "variant_key": "C"}
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            conn.execute(sa.text(f"SET LOCAL {setting} = off"))

        conn.execute(sa.text("CREATE TEMP TABLE incoming (content_hash TEXT)"))
        plan = "\n".join(r[0] for r in conn.execute(sa.text(
            "EXPLAIN SELECT c.id FROM incoming i JOIN campaigns c "
            "ON c.content_hash = i.content_hash")).fetchall())
        assert "ux_campaigns_content_hash" in plan
    ingest(pg_store, CLASSIC)
    again = ingest(pg_store, CLASSIC.replace("2024-01-15", "2024-02-01"), "again.csv")
    assert (again.inserted, again.resighted) == (0, 3)
