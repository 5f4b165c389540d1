"""The `competiscan` command, run as a real subprocess; results checked through the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from competiscan.store import open_store

CSV = ("company_name,title,subject_line,campaign_type,channel,launch_date,content,keywords\n"
       'Chase,Freedom,,acquisition,email,2024-01-15,"Earn 5% cash back. No annual fee.",\n'
       'Citi,Double Cash,,acquisition,display,2024-01-20,"Earn 2% cash back",\n')
BAD_ROWS = CSV + ",no company,,,email,2024-01-01,x,\nAmex,bad date,,,email,2024-99-99,y,\n"


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("COMPETISCAN_", "OPENAI_"))}
    e["COMPETISCAN_DATABASE_URL"] = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    e["COMPETISCAN_SEARCH_URL"] = str(tmp_path / "index")
    e["COMPETISCAN_INBOX"] = str(tmp_path / "inbox")
    return e


def run(env, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "competiscan.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ingest_prints_json_report_and_stores(env, tmp_path):
    path = write(tmp_path, "a.csv", BAD_ROWS)
    proc = run(env, "ingest", str(path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert {k: report[k] for k in ("inserted", "resighted", "duplicates", "rejected")} == \
        {"inserted": 2, "resighted": 0, "duplicates": 0, "rejected": 2}
    assert isinstance(report["batch_id"], int)
    assert [(r["row"], r["column"]) for r in report["rejected_rows"]] == \
        [(4, "company_name"), (5, "launch_date")]
    store = open_store(env["COMPETISCAN_DATABASE_URL"], create=False)
    assert store.count() == 2
    store.close()


def test_validate_exit_codes(env, tmp_path):
    good = run(env, "validate", str(write(tmp_path, "good.csv", CSV)))
    assert good.returncode == 0 and "good.csv: valid" in good.stdout
    assert "would insert 2" in good.stdout and "nothing was stored" in good.stdout
    bad = run(env, "validate", "--json", str(write(tmp_path, "bad.csv", BAD_ROWS)))
    assert bad.returncode == 1
    payload = json.loads(bad.stdout)
    assert payload["status"] == "invalid" and payload["rejected"] == 2
    assert payload["would_insert"] == 2
    assert not {"inserted", "batch_id", "indexed"} & set(payload)  # it stores nothing
    # validate never writes
    assert not Path(env["COMPETISCAN_DATABASE_URL"].removeprefix("duckdb:///")).exists()


@pytest.mark.parametrize("name,content,needle", [
    ("missing.csv", None, "no such file"),
    ("empty.csv", "", "the file is empty"),
    ("x.docx", "hello", "unsupported file type"),
])
def test_bad_input_one_line_no_traceback(env, tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    proc = run(env, "ingest", str(path))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert needle in proc.stderr + proc.stdout


def test_convert_between_formats(env, tmp_path):
    src = write(tmp_path, "a.csv", CSV)
    for ext in ("json", "jsonl", "xlsx", "parquet"):
        out = tmp_path / f"a.{ext}"
        proc = run(env, "convert", str(src), str(out))
        assert proc.returncode == 0, proc.stderr
        again = run(env, "validate", "--json", str(out))
        assert again.returncode == 0, again.stdout
        assert json.loads(again.stdout)["rows_read"] == 2
    bad = run(env, "convert", str(src), str(tmp_path / "a.pdf"))
    assert bad.returncode == 2 and "unsupported file type" in bad.stderr


def test_generate_then_validate(env, tmp_path):
    out = tmp_path / "gen.csv"
    proc = run(env, "generate", str(out), "--rows", "300", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    check = run(env, "validate", "--json", str(out))
    payload = json.loads(check.stdout)
    assert payload["rows_read"] == 300 and payload["rejected"] == 0


def test_batches_and_undo(env, tmp_path):
    run(env, "ingest", str(write(tmp_path, "a.csv", CSV)))
    listing = json.loads(run(env, "batches", "--json").stdout)
    assert listing[0]["filename"] == "a.csv" and listing[0]["status"] == "committed"
    undo = run(env, "undo", str(listing[0]["id"]), "--json")
    assert json.loads(undo.stdout)["removed_campaigns"] == 2
    again = run(env, "undo", str(listing[0]["id"]))
    assert again.returncode == 2 and "already undone" in again.stderr
    store = open_store(env["COMPETISCAN_DATABASE_URL"], create=False)
    assert store.count() == 0
    store.close()


def test_doctor_reports_each_part(env):
    fresh = run(env, "doctor", "--json")   # nothing set up yet: said, not a failure
    store = next(c for c in json.loads(fresh.stdout) if c["part"] == "store")
    assert store["status"] == "off" and "competiscan init" in store["detail"]
    assert fresh.returncode == 0
    assert not Path(env["COMPETISCAN_DATABASE_URL"].removeprefix("duckdb:///")).exists()
    assert run(env, "init").returncode == 0
    proc = run(env, "doctor", "--json")
    parts = {c["part"]: c["status"] for c in json.loads(proc.stdout)}
    assert parts.keys() == {"settings", "store", "search", "openai", "allocator"}
    assert (parts["settings"], parts["store"], parts["search"], parts["openai"]) == (
        "ok", "ok", "ok", "off")
    assert proc.returncode == 0
    env_bad = dict(env, COMPETISCAN_SEARCH_URL="http://127.0.0.1:9")
    bad = run(env_bad, "doctor", "--json")
    assert {c["part"]: c["status"] for c in json.loads(bad.stdout)}["search"] == "fail"
    assert bad.returncode == 1


def test_reading_commands_never_create_a_store(env, tmp_path):
    for args in (("search", "cash"), ("batches",), ("trends",), ("offers",)):
        proc = run(env, *args)
        assert proc.returncode == 2 and "competiscan init" in proc.stderr, args
        assert "Traceback" not in proc.stderr
    assert not Path(env["COMPETISCAN_DATABASE_URL"].removeprefix("duckdb:///")).exists()


def test_locked_duckdb_file_is_explained(env, tmp_path):
    db = env["COMPETISCAN_DATABASE_URL"].removeprefix("duckdb:///")
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({db!r}); "
                               "print('ready', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        proc = run(env, "ingest", str(write(tmp_path, "a.csv", CSV)))
        assert proc.returncode == 2
        assert "in use by another process" in proc.stderr
        assert "inbox" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_search_json_shape(env, tmp_path):
    run(env, "ingest", str(write(tmp_path, "a.csv", CSV)))
    proc = run(env, "search", '"cash back"', "--channel", "email", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["total"] == 1
    hit = payload["hits"][0]
    assert set(hit) == {"id", "company", "product", "channel", "campaign_type", "launch_date",
                        "title", "snippet", "score"}
    assert hit["company"] == "Chase" and "<mark>" in hit["snippet"]
    assert payload["facets"]["channel"] == {"email": 1}
    bad = run(env, "search", "x", "--from", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_export_neutralises_formulas(env, tmp_path):
    run(env, "ingest", str(write(tmp_path, "a.csv",
                                 'company,title\nEvil,"=HYPERLINK(""http://x"")"\n')))
    out = tmp_path / "out.csv"
    proc = run(env, "export", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")


def test_reindex_reports_consistent_counts(env, tmp_path):
    run(env, "ingest", str(write(tmp_path, "a.csv", CSV)))
    payload = json.loads(run(env, "reindex", "--json").stdout)
    assert payload["indexed"] == payload["store"] == payload["index"] == 2


def test_trends_json_is_period_key_count_share(env, tmp_path):
    data = ("company,title,channel,launch_date\n"
            "Chase,a,email,2024-01-01\nChase,b,email,2024-01-02\nCiti,c,email,2024-01-03\n"
            "Citi,d,sms,2024-01-15\n")
    run(env, "ingest", str(write(tmp_path, "t.csv", data)))
    proc = run(env, "trends", "--by", "company", "--interval", "week", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {(r["period"], r["key"]): (r["count"], round(r["share"], 4))
            for r in json.loads(proc.stdout)}
    # ISO weeks start on Monday: 2024-01-01 is a Monday; the empty week between is zeros
    assert rows[("2024-01-01", "Chase")] == (2, 0.6667)
    assert rows[("2024-01-01", "Citi")] == (1, 0.3333)
    assert rows[("2024-01-08", "Chase")] == (0, 0.0)
    assert rows[("2024-01-15", "Citi")] == (1, 1.0)
    bad = run(env, "trends", "--interval", "fortnight")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_trends_for_people_is_a_table_of_percentages_without_empty_rows(env, tmp_path):
    data = ("company,title,channel,launch_date\n"
            "Chase,a,email,2024-01-01\nChase,b,email,2024-01-02\nCiti,c,email,2024-01-03\n"
            "Citi,d,sms,2024-01-15\n")
    run(env, "ingest", str(write(tmp_path, "t.csv", data)))
    proc = run(env, "trends", "--by", "company", "--interval", "week")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["period", "key", "campaigns", "share"]
    rows = [line.split() for line in lines[2:]]
    assert ["2024-01-01", "Chase", "2", "66.7%"] in rows
    assert ["2024-01-15", "Citi", "1", "100.0%"] in rows
    assert not any(row[0] == "2024-01-08" for row in rows)   # a week of zeros is left out
    assert len(rows) == 3


def test_offers_json_lists_best_terms_per_company_and_product(env, tmp_path):
    data = ("company,title,channel,launch_date,content\n"
            'Chase,Chase Slate Edge,email,2024-01-01,"0% intro APR for 15 months. No annual fee."\n'
            'Chase,Slate Edge,email,2024-01-05,"0% intro APR for 18 months"\n'
            'Chase,Sapphire Preferred,email,2024-01-06,"60,000 bonus points. $95 annual fee."\n'
            'Chase,Chase,display,2024-01-07,"$550 annual fee"\n')
    run(env, "ingest", str(write(tmp_path, "o.csv", data)))
    proc = run(env, "offers", "--company", "Chase", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert [(e["company"], e["product"]) for e in entries] == [
        ("Chase", "Sapphire Preferred"), ("Chase", "Slate Edge"), ("Chase", None)]
    terms = {(e["product"], t["term"]): t for e in entries for t in e["terms"]}
    assert terms["Slate Edge", "intro_apr_months"]["value"] == 18
    assert terms["Slate Edge", "annual_fee_usd"]["value"] == 0
    assert terms["Sapphire Preferred", "annual_fee_usd"]["value"] == 95
    assert terms[None, "annual_fee_usd"]["value"] == 550
    assert isinstance(terms["Slate Edge", "intro_apr_months"]["id"], int)
    only = json.loads(run(env, "offers", "--product", "Slate Edge", "--json").stdout)
    assert [(e["company"], e["product"]) for e in only] == [("Chase", "Slate Edge")]
    table = run(env, "offers", "--company", "Chase")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("Chase · Sapphire Preferred (pieces seen ")
    assert "Chase · Slate Edge" in table.stdout
    assert "Intro APR period" in table.stdout and "18 months" in table.stdout
    assert "Annual fee" in table.stdout and "$0" in table.stdout
    assert "{" not in table.stdout   # a table, not JSON


def test_products_lists_adds_and_relinks(env, tmp_path):
    data = ("company,title,channel,launch_date,content\n"
            'Chase,Chase Horizon Card,email,2024-01-01,"Earn 2% back"\n'
            'Chase,Horizon,email,2024-01-02,"Horizon earns 2% back"\n')
    run(env, "ingest", str(write(tmp_path, "p.csv", data)))
    listed = json.loads(run(env, "products", "list", "--company", "Chase", "--json").stdout)
    by_name = {r["product"]: r for r in listed}
    assert by_name["Sapphire Preferred"]["in catalogue"] is True
    assert by_name["Horizon Card"] == {"company": "Chase", "product": "Horizon Card",
                                       "kind": "", "aliases": [], "in catalogue": False,
                                       "pieces": 1}
    added = run(env, "products", "add", "Horizon Card", "--company", "Chase", "--alias",
                "Horizon", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["changed"] == 2
    listed = json.loads(run(env, "products", "list", "--company", "Chase", "--json").stdout)
    horizon = next(r for r in listed if r["product"] == "Horizon Card")
    assert horizon["in catalogue"] is True and horizon["pieces"] == 2
    missing = run(env, "products", "add", "X", "--company", "Nobody Bank")
    assert missing.returncode != 0 and "Nobody Bank" in missing.stderr
    hits = json.loads(run(env, "search", "Horizon", "--json").stdout)
    assert {h["product"] for h in hits["hits"]} == {"Horizon Card"}


def test_audit_lists_who_did_what_and_as_allows_only_listed_names(env, tmp_path):
    import getpass
    run(env, "ingest", str(write(tmp_path, "a.csv", CSV)))
    refused = run(env, "--as", "vera@example.com", "ingest", str(write(tmp_path, "b.csv",
                                                                      CSV + "Ally,x,,,sms,2024-02-01,y,\n")))
    assert refused.returncode == 2 and "COMPETISCAN_CLI_AS" in refused.stderr
    allowed = dict(env, COMPETISCAN_CLI_AS="@example.com",
                   COMPETISCAN_ANALYSTS="ana@example.com")
    viewer = run(allowed, "--as", "vera@example.com", "ingest", str(tmp_path / "b.csv"))
    assert viewer.returncode == 2 and "vera@example.com is a viewer" in viewer.stderr
    assert "Traceback" not in viewer.stderr
    ana = run(allowed, "--as", "ana@example.com", "ingest", str(tmp_path / "b.csv"))
    assert ana.returncode == 0, ana.stderr
    proc = run(env, "audit", "--action", "upload", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert [(e["user"], e["result"]) for e in entries] == [
        ("ana@example.com", "ok"), ("vera@example.com", "refused"), (getpass.getuser(), "ok")]
    assert set(entries[0]) == {"at", "user", "role", "action", "target", "result", "detail"}
    assert entries[0]["target"] == "b.csv" and entries[0]["detail"]["inserted"] == 1
    assert json.loads(run(env, "audit", "--user", "nobody", "--json").stdout) == []
    table = run(env, "audit", "--since", "2000-01-01")
    assert "ana@example.com" in table.stdout and "upload" in table.stdout
    denied = run(allowed, "--as", "ana@example.com", "audit")
    assert denied.returncode == 2 and "read the audit trail" in denied.stderr
