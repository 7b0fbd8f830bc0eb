"""The report a lab signs (issue 11 §6): metercert.report.write_html / write_pdf on records built
here by hand, so every expectation is independent of the suite: limits written as literals
(EN 13757-2 at 2400 baud: 4.583 ms and 187.5 ms; at 9600 baud: 1.146 ms and 84.375 ms), bytes
that differ at known offsets, times whose text is known. What is asserted is what a reader
needs: the verdict in words, failures first and linked, an anchor and a section for every case,
each frame's time, gap, baud and decoded records, the marked bytes, both limits of every baud,
each profile's own identity, provenance, a signature block; and a PDF that is A4 and says it."""
import html.parser
import logging
import re
import shutil
import subprocess
import time

import pytest

from metercert import report

T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in µs since the epoch


def frame(direction, at_us, hexstr, baud=2400, decoded="", records=None, flags=0):
    f = {"direction": direction, "wall_us": T0 + at_us, "hex": hexstr, "flags": flags, "baud": baud, "decoded": decoded}
    if records is not None:
        f["records"] = records
    return f


def exchange(at_us, req_hex, gap_ms, rsp_hex="E5", baud=2400, **rsp):
    """A request at at_us and its reply gap_ms after the request's last byte (11 bits per byte),
    the reply carrying the gap its link measured (gap_ms, as metercert.evidence describes it)."""
    tx_us = len(req_hex) // 2 * 11 * 1_000_000 / baud
    reply = frame("from_dut", at_us + round(tx_us + gap_ms * 1000), rsp_hex, baud, rsp.pop("decoded", "ACK"), **rsp)
    reply["gap_ms"] = gap_ms
    return [frame("to_dut", at_us, req_hex, baud, "REQ"), reply]


# EN 13757-2's reply window worked out by hand (11 bit times … 330 bit times + 50 ms)
WINDOW = {2400: (4.583333, 187.5), 9600: (1.145833, 84.375)}


def gap_point(gap_ms, baud=2400, frame_no=2):
    """One point of a plotted series, as a profile's measurement hook records it (a measurement
    with a series, its limits and the frame it was taken of): the report knows no M-Bus."""
    low, high = WINDOW[baud]
    return {"name": "reply gap", "value": gap_ms, "unit": "ms", "low": low, "high": high, "within": low <= gap_ms <= high,
            "series": f"M-Bus reply gap at {baud} baud", "frame": frame_no, "basis": "EN 13757-2"}


def case(cid, outcome="passed", level="must", frames=(), **kw):
    profile, section, _ = cid.split("/")
    return {"id": cid, "requirement": kw.pop("requirement", f"requirement of {cid}"), "level": level, "profile": profile,
            "section": section, "test": f"conformance/{profile}/test_x.py::test_{section}", "outcome": outcome,
            "duration_s": 0.01, "measurements": kw.pop("measurements", []), "evidence": {"frames": list(frames)}, **kw}


PROVENANCE = {"metercert_version": "0.1.0", "git_commit": "0123456789abcdef0123456789abcdef01234567", "git_dirty": True,
              "vectors_sha256": "5e" * 32, "command_line": ["metercert", "run", "--dut", "tcp://10.0.0.7:10001", "--operator", "A. Tester"],
              "host": "bench-3", "platform": "Linux-6.1.0-x86_64", "python": "3.11.2", "pytest": "7.2.1"}


def record(cases, verdict, **kw):
    rec = {"schema": "metercert_record_v2", "tool": "metercert", "version": "0.1.0", "provenance": dict(PROVENANCE),
           "dut": {"url": "tcp://10.0.0.7:10001", "manufacturer": "ELV", "id": "13647123", "version": 1, "medium": "02",
                   "firmware": "1.2.0"},
           "station": "Lab B / bench 3", "operator": "A. Tester", "started": "2023-11-14T22:13:00+00:00",
           "finished": "2023-11-14T22:20:00+00:00", "complete": True, "interrupted_by": None, "verdict": verdict,
           "cases": cases}
    rec.update(kw)
    return rec


def failing_record():
    """A FAIL run, in run order: passed cases, a failed should case, a suite error, a late reply
    (must, failed), a wrong frame (must, failed, with expected/actual bytes), a gateway's cases."""
    ok = [case(f"cmi1020/6.7.1/{n}", frames=exchange(n * 1_000_000, "1040004016", 13.75), measurements=[gap_point(13.75)])
          for n in range(1, 4)]
    late = case("cmi1020/6.7.2/5", "failed", frames=exchange(5_000_000, "105B005B16", 261.0, "68030368080072", decoded="RSP_UD A=0"),
                what="reply gap", expected="'4.583 … 187.5 ms'", actual="'261 ms'", message="reply after 261 ms",
                measurements=[{"name": "reply gap", "value": 261.0, "unit": "ms", "low": 4.583, "high": 187.5, "within": False},
                              gap_point(261.0)])
    wrong = case("cmi1020/6.6/4", "failed", what="RSP_UD", expected="b'...'", actual="b'...'",
                 expected_hex="68 03 03 68 08 00 72 7A 16", actual_hex="680303680801737A16",
                 frames=exchange(6_000_000, "107B007B16", 20.0, "680303680801737A16", decoded="RSP_UD A=1 CI=73",
                                 records=[{"dif": "04", "vif": "03", "quantity": "energy", "value": "123456.7", "unit": "Wh",
                                           "storage": 0, "tariff": 1, "subunit": 0, "function": "instantaneous"}]),
                 measurements=[gap_point(20.0)])
    err = case("cmi1020/6.7.9/1", "error", reason="suite error: simulator did not start (infrastructure)")
    should = case("cmi1020/6.7.11/2", "failed", level="should", what="rate", expected="'3'", actual="'2'")
    gw = case("cme3000/6.3/1", frames=[frame("to_dut", 9_000_000, "1040FE3E16", 0, "SND_NKE A=254"),
                                       frame("from_dut", 9_000_400, "E5", 0, "ACK")])
    nine = case("cme3000/6.3/2", frames=exchange(10_000_000, "1040FE3E16", 3.4375, baud=9600),
                measurements=[gap_point(3.4375, 9600)])
    cases = ok + [should, err, late, wrong, gw, nine]
    return record(cases, "FAIL", summary={"total": 9, "passed": 5, "failed": 3, "skipped": 0, "error": 1,
                                          "must": {"total": 8, "passed": 5, "failed": 2, "skipped": 0, "error": 1},
                                          "not_verified": [{"reason": "suite error: simulator did not start (infrastructure)",
                                                            "cases": ["cmi1020/6.7.9/1"]}]},
                  dut={"url": "each profile's own DUT", "profiles": {
                      "cmi1020": {"url": "serial:///dev/ttyUSB0?baud=2400", "manufacturer": "ELV", "id": "13647123", "version": 1,
                                  "medium": "02", "firmware": "1.2.0", "kind": "slave"},
                      "cme3000": {"url": "tcp://10.0.0.9:10001", "manufacturer": "ELV", "id": "70000042", "version": 4,
                                  "medium": "0E", "firmware": "2.4.1", "kind": "gateway",
                                  "slave": {"manufacturer": "KAM", "id": "99999999", "version": 7, "medium": "04"}}}})


class Page(html.parser.HTMLParser):
    """ids with their tag and position, internal links, and the text of each element by id."""

    def __init__(self, text):
        super().__init__()
        self.ids, self.hrefs, self.tags = {}, [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids[a["id"]] = (tag, self.getpos())
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.hrefs.append(a["href"][1:])


def render(rec, tmp_path):
    path = tmp_path / "report.html"
    report.write_html(rec, path)
    assert not list(tmp_path.glob("*.tmp"))
    return path.read_text()


def element(text, elem_id):
    """The source of the element with id elem_id up to its closing tag (article/tr/section)."""
    m = re.search(r'<(\w+)[^>]*\bid="' + re.escape(elem_id) + r'"', text)
    assert m, elem_id
    end = text.index(f"</{m.group(1)}>", m.start())
    return text[m.start():end]


def test_failures_come_first_linked_to_their_details_and_every_case_has_an_anchor(tmp_path):
    rec = failing_record()
    text = render(rec, tmp_path)
    page = Page(text)
    tables_at = text.index('id="profile-')
    # the summary lists failures and errors, must failures first, before the per-profile tables
    problems = element(text, "problems")
    listed = re.findall(r'href="#detail-([^"]+)"', text[text.index('id="problems"'):tables_at])
    # failed must cases first (in run order), then suite errors, then failed should cases
    assert listed == ["cmi1020/6.7.2/5", "cmi1020/6.6/4", "cmi1020/6.7.9/1", "cmi1020/6.7.11/2"], (listed, problems)
    for cid in listed:  # each detail exists, before the tables, with its requirement and section
        assert text.index(f'id="detail-{cid}"') < tables_at
        detail = element(text, f"detail-{cid}")
        assert f"requirement of {cid}" in detail and "§" + cid.split("/")[1] in detail
    # every case: a row anchored by its id, with its section; every internal link resolves
    for c in rec["cases"]:
        tag, _ = page.ids[c["id"]]
        assert tag == "tr" and f"§{c['section']}</td>" in element(text, c["id"])
    assert page.hrefs and not [h for h in page.hrefs if h not in page.ids]
    assert "suite error: simulator did not start" in element(text, "detail-cmi1020/6.7.9/1")
    assert not re.search(r"<(link|script)[^>]+(href|src)=", text) and "<script" not in text


def test_verdict_is_stated_in_words_and_incomplete_says_how_many_and_why(tmp_path):
    skipped = [case(f"cmi1020/6.7.2/{n}", "skipped", reason="measures M-Bus reply times, which a TCP gateway hides") for n in (1, 2, 3)]
    sim = [case("cmi1020/8.2/1", "skipped", reason="needs the built-in simulator")]
    rec = record([case("cmi1020/6.7.1/1")] + skipped + sim + [case("cmi1020/6.7.7/1", "skipped", level="should", reason="x")],
                 "INCOMPLETE",
                 summary={"total": 6, "passed": 1, "failed": 0, "skipped": 5, "error": 0,
                          "must": {"total": 5, "passed": 1, "failed": 0, "skipped": 4, "error": 0},
                          "not_verified": [{"reason": "measures M-Bus reply times, which a TCP gateway hides",
                                            "cases": [c["id"] for c in skipped]},
                                           {"reason": "needs the built-in simulator", "cases": ["cmi1020/8.2/1"]}]})
    text = render(rec, tmp_path)
    head = text[:text.index('id="problems"')]
    assert "INCOMPLETE" in head and "could not run on this device" in head
    assert "4 of 5 must cases were not verified" in head
    nv = element(text, "not-verified") + text[text.index('id="not-verified"'):text.index('id="problems"')]
    assert "which a TCP gateway hides" in nv and "needs the built-in simulator" in nv
    for c in skipped + sim:
        assert f'href="#{c["id"]}"' in nv
    assert 'href="#cmi1020/6.7.7/1"' not in nv  # a should case does not hold back the verdict
    # counts: all cases and must cases, each outcome including error
    counts = text[text.index('class="counts"'):text.index("</table>", text.index('class="counts"'))]
    assert re.search(r"must cases</th><td>5</td><td>1</td><td[^>]*>0</td><td[^>]*>4</td><td[^>]*>0</td>", counts), counts
    assert re.search(r"all cases</th><td>6</td><td>1</td><td[^>]*>0</td><td[^>]*>5</td><td[^>]*>0</td>", counts), counts
    for v, words in (("PASS", "ran and passed"), ("ERROR", "not the device's fault"), ("INTERRUPTED", "stopped")):
        assert words in html.unescape(render(dict(rec, verdict=v), tmp_path))
    # a run still going (the page is rewritten after every case) never shows a verdict as final
    # (the run's record says INTERRUPTED while not complete; finished and interrupted_by tell apart)
    text = render(dict(rec, verdict="INTERRUPTED", complete=False, finished=None), tmp_path)
    assert re.search(r'class="verdict">UNFINISHED<', text) and "This is not a verdict" in text and "was stopped" not in text
    text = render(dict(rec, verdict="INTERRUPTED", complete=False, interrupted_by="SIGTERM"), tmp_path)
    assert re.search(r'class="verdict">INTERRUPTED<', text) and "Stopped by SIGTERM after 6 cases" in text
    text = render(dict(rec, verdict="FAIL", complete=False, interrupted_by="SIGINT"), tmp_path)  # a must failed, then ^C
    assert re.search(r'class="verdict">FAIL<', text) and "stopped by SIGINT after 6 cases" in text


def test_verdict_is_the_records_own_or_derived_from_an_old_record():
    assert report.verdict({"verdict": "INCOMPLETE", "complete": True, "cases": []}) == "INCOMPLETE"
    must_failed = [case("a/1/1", "failed"), case("a/1/2", "skipped")]
    assert report.verdict({"complete": True, "cases": must_failed}) == "FAIL"
    assert report.verdict({"complete": True, "cases": [case("a/1/1"), case("a/1/2", "skipped")]}) == "INCOMPLETE"
    assert report.verdict({"complete": True, "cases": [case("a/1/1"), case("a/1/2", "error")]}) == "ERROR"
    assert report.verdict({"complete": True, "cases": [case("a/1/1"), case("a/1/2", "failed", level="should")]}) == "PASS"
    assert report.verdict({"complete": False, "cases": [case("a/1/1")]}) == "INTERRUPTED"
    s = report.summary({"cases": [case("a/1/1"), case("a/1/2", "skipped", reason="r"), case("a/1/3", "error", reason="r")]})
    assert s["must"] == {"total": 3, "passed": 1, "failed": 0, "skipped": 1, "error": 1}
    assert s["not_verified"] == [{"reason": "r", "cases": ["a/1/2", "a/1/3"]}]


def test_frames_show_time_gap_baud_wrapping_hex_and_decoded_records(tmp_path):
    text = render(failing_record(), tmp_path)
    late = element(text, "detail-cmi1020/6.7.2/5")
    # request at T0 + 5 s; 5 bytes at 2400 baud take 22.917 ms; the reply starts 261 ms after that
    assert "22:13:25.000000" in late and "22:13:25.283917" in late
    assert re.search(r">\s*261\s*<div class=\"win\">window 4\.583–187\.5: outside", late), late
    assert "2400" in late and "10 40 00 40 16" not in late and "10 5B 00 5B 16" in late  # hex as spaced bytes: wraps
    wrong = element(text, "detail-cmi1020/6.6/4")
    assert "<details>" in wrong and "1 decoded record" in wrong and "123456.7" in wrong and "tariff 1" in wrong
    gw = element(text, "detail-cmi1020/6.6/4")
    assert "RSP_UD A=1 CI=73" in gw
    # over TCP (baud 0) the gap is the time between arrivals, marked as such, and the baud says TCP
    rec = failing_record()
    next(c for c in rec["cases"] if c["id"] == "cme3000/6.3/1")["outcome"] = "failed"
    tcp = element(render(rec, tmp_path), "detail-cme3000/6.3/1")
    assert "≈0.4" in tcp and ">TCP<" in tcp


def test_expected_and_actual_bytes_are_shown_with_the_differing_ones_marked(tmp_path):
    text = render(failing_record(), tmp_path)
    diff = element(text, "detail-cmi1020/6.6/4")
    diff = diff[diff.index('class="hexdiff"'):]
    exp = re.search(r"<th>exp</th><td class=\"hex\">(.*?)</td>", diff).group(1)
    act = re.search(r"<th>act</th><td class=\"hex\">(.*?)</td>", diff).group(1)
    # 68 03 03 68 08 00 72 7A 16 vs 68 03 03 68 08 01 73 7A 16: offsets 5 and 6 differ
    assert re.findall(r"<mark>(\w\w)</mark>", exp) == ["00", "72"] and re.findall(r"<mark>(\w\w)</mark>", act) == ["01", "73"]
    assert re.sub(r"</?mark>", "", exp).split() == "68 03 03 68 08 00 72 7A 16".split()
    assert "2 differ</b> at offsets 5, 6" in element(text, "detail-cmi1020/6.6/4")
    # a missing byte is marked too
    rec = failing_record()
    next(c for c in rec["cases"] if c["id"] == "cmi1020/6.6/4").update(expected_hex="E5", actual_hex="E5E5")
    d = element(render(rec, tmp_path), "detail-cmi1020/6.6/4")
    assert "<mark>··</mark>" in d and "actual 2" in d and "at offset 1 " in d


def test_measurement_plots_have_a_scale_both_limits_every_profile_and_mark_points_outside(tmp_path):
    rec = failing_record()
    series = {s["name"]: s for s in report.measurement_series(rec)}
    # the points the cases recorded, by series (the TCP case recorded none): 5 at 2400 baud, 1 at 9600
    assert list(series) == ["M-Bus reply gap at 2400 baud", "M-Bus reply gap at 9600 baud"]
    assert sorted(p["value"] for p in series["M-Bus reply gap at 2400 baud"]["points"]) == [13.75, 13.75, 13.75, 20.0, 261.0]
    assert [p["value"] for p in series["M-Bus reply gap at 9600 baud"]["points"]] == [3.4375]
    assert [p["within"] for s in series.values() for p in s["points"] if p["value"] > 200] == [False]
    text = render(rec, tmp_path)
    timing = text[text.index('id="timing"'):text.index('id="cases"')]
    svgs = re.findall(r"<svg.*?</svg>", timing, re.S)
    assert len(svgs) == 2  # one panel per series
    s2400, s9600 = svgs
    assert "upper limit 187.5 ms" in s2400 and "lower limit 4.583 ms" in s2400
    assert "upper limit 84.375 ms" in s9600 and "lower limit 1.146 ms" in s9600
    assert "reply gap (ms)" in s2400
    ticks = [float(t) for t in re.findall(r'text-anchor="end">([\d.]+)</text>', s2400)]
    assert len(ticks) >= 4 and ticks[0] == 0 and max(ticks) >= 261  # a scale that reaches the late reply
    assert "cmi1020 (5)" in s2400 and "cme3000 (1)" in s9600  # each profile's points
    assert 'stroke="#d00"' in s2400 and "cmi1020/6.7.2/5 261 ms" in s2400 and "#d00" not in s9600
    assert re.search(r"cmi1020/6\.7\.2/5</a></td><td>2</td><td class=\"bad\">261 ms \(above\)</td><td>upper limit 187\.5 ms", timing)
    # limits that change along a series are drawn as steps, and a point with one limit only is judged by it
    rec["cases"].append(case("cmi1020/6.7.2/9", measurements=[
        {"name": "reply gap", "value": 90.0, "unit": "ms", "low": None, "high": 84.375, "series": "M-Bus reply gap at 2400 baud"}]))
    s = {x["name"]: x for x in report.measurement_series(rec)}["M-Bus reply gap at 2400 baud"]
    assert s["points"][-1]["within"] is False and s["points"][-1]["low"] is None
    svg = re.findall(r"<svg.*?</svg>", render(rec, tmp_path), re.S)[0]
    assert "upper limit 84.375–187.5 ms" in svg and "cmi1020/6.7.2/9 90 ms" in svg


def test_each_profile_shows_its_own_dut_identity(tmp_path):
    text = render(failing_record(), tmp_path)
    gw, slave = element(text, "profile-cme3000"), element(text, "profile-cmi1020")
    # the gateway's own identity, then the slave behind it, said as such; never the other profile's
    assert "tcp://10.0.0.9:10001" in gw and "13647123" not in gw
    assert re.search(r"ELV ID 70000042, version 4, medium 0E, firmware 2\.4\.1\s*<span class=\"behind\">slave behind it: KAM ID 99999999", gw), gw
    assert "serial:///dev/ttyUSB0?baud=2400" in slave and "ELV ID 13647123, version 1, medium 02, firmware 1.2.0" in slave
    assert "70000042" not in slave and "99999999" not in slave
    ident = text[text.index('id="identity"'):text.index("</table>", text.index('id="identity"'))]
    rows = re.findall(r"<tr><td>(\w+)<div class=\"note\">(\w+)</div>.*?</tr>", ident, re.S)
    assert rows == [("cmi1020", "slave"), ("cme3000", "gateway")], rows
    assert "built-in simulator" not in ident and "own simulator" not in text  # a real device is not marked as one
    rec = failing_record()
    for d in rec["dut"]["profiles"].values():
        d["simulated"] = True
    summary = html.unescape(element(render(rec, tmp_path), "summary"))
    assert "The device under test is metercert's own simulator" in summary and summary.count("built-in simulator") == 2


def test_provenance_and_a_signature_block(tmp_path):
    text = render(failing_record(), tmp_path)
    prov = element(text, "provenance")
    for v in ("0.1.0", "0123456789abcdef0123456789abcdef01234567", "uncommitted changes", "5e" * 32,
              "metercert run --dut tcp://10.0.0.7:10001 --operator &#39;A. Tester&#39;", "bench-3", "3.11.2", "7.2.1"):
        assert v in prov, v
    sign = element(text, "signature")
    for v in ("Lab B / bench 3", "A. Tester", "2023-11-14T22:20:00+00:00", "Tested by", "Reviewed and approved by",
              "signature", "date", "FAIL"):
        assert v in sign, v


def test_everything_from_the_record_is_escaped_and_an_old_or_unfinished_record_renders(tmp_path):
    rec = failing_record()
    late = next(c for c in rec["cases"] if c["id"] == "cmi1020/6.7.2/5")
    late["requirement"] = "<script>alert(1)</script>"
    late["actual"] = "'</code><img src=x onerror=alert(1)>'"
    late["evidence"]["frames"][1]["decoded"] = "<b>x</b>"
    rec["station"] = 'A&B "lab"'
    text = render(rec, tmp_path)
    assert "<script>" not in text and "<img" not in text and "<b>x</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "A&amp;B" in text
    # today's v1 shape (no schema, summary, provenance, verdict) and a run still going
    v1 = {"tool": "metercert", "version": "0.1.0", "dut": {"url": "sim:cmi1020"}, "station": "", "operator": "",
          "started": "2023-11-14T22:13:00+00:00", "finished": None, "complete": False,
          "cases": [{"id": "cmi1020/6.7.1/1", "requirement": "r", "level": "must", "profile": "cmi1020", "section": "6.7.1",
                     "outcome": "passed", "evidence": {"frames": []}}]}
    text = render(v1, tmp_path)
    assert "INTERRUPTED" in text and 'id="cmi1020/6.7.1/1"' in text


def test_write_html_is_fast_on_a_hundred_cases(tmp_path):
    cases = [case(f"cmi1020/6.{n // 10}/{n}", "failed" if n % 25 == 0 else "passed",
                  frames=sum((exchange(n * 1_000_000 + k * 100_000, "107B007B16", 14.0, "68BDBD68" + "00" * 185 + "16",
                                       decoded="RSP_UD", records=[{"dif": "04", "vif": "03", "quantity": "energy", "value": str(k),
                                                                   "unit": "Wh"}] * 25) for k in range(3)), []))
             for n in range(100)]
    rec = record(cases, "FAIL")
    report.write_html(rec, tmp_path / "warm.html")
    t = time.perf_counter()
    report.write_html(rec, tmp_path / "report.html")
    elapsed = time.perf_counter() - t
    assert elapsed < 1.0, f"write_html took {elapsed:.3f} s for 100 cases: it runs after every case"


def test_pdf_is_a4_paginated_and_says_the_verdict_and_the_cases(tmp_path, caplog):
    for tool in ("pdfinfo", "pdftotext"):
        assert shutil.which(tool), f"{tool} missing: Debian package poppler-utils"
    rec = failing_record()
    path = tmp_path / "report.pdf"
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        report.write_pdf(rec, path)
    assert not caplog.records, [r.getMessage() for r in caplog.records]  # no CSS WeasyPrint ignores
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(w), round(h)) == (595, 842), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "FAIL" in text and "A must case failed" in text
    for c in rec["cases"]:
        assert c["id"] in text, c["id"]
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    assert "123456.7" in text  # decoded records, collapsed on screen, are printed
    assert "upper limit 187.5 ms" in text and "Reviewed and approved" in text
