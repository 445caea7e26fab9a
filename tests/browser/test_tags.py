"""The shared tag finding (widget/src/core.js), run in Chromium on its own: no stack, no network. The
API is a stub that records what was asked and answers from a table of known things."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CORE = (Path(__file__).resolve().parents[2] / "widget" / "src" / "core.js").read_text(encoding="utf-8")
KNOWN = {"12": 3, "34": 0, "7": 1, "9007199254740991": 5}  # id -> flattrs
STUB = """
window.asked = [];
window.B = flattrButtons({site: "https://flattr.example", api: "https://flattr.example", get: (path) => {
  asked.push(path);
  const ids = path.split("/").pop().split(","), found = ids.filter((id) => id in KNOWN)
    .map((id) => ({id: +id, title: "Thing " + id, flattrs: KNOWN[id]}));
  if (!found.length) return Promise.reject(404);
  return Promise.resolve(path.startsWith("/rest/v2/") ? found : found[0]);
}});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><html><head></head><body><div id='root'></div></body></html>")
    page.add_script_tag(content=f"window.KNOWN = {json.dumps(KNOWN)};\n{CORE}\n{STUB}")
    yield page
    context.close()


def find(page, text: str) -> list[tuple[int, int, str]]:
    return [tuple(t.values()) for t in page.evaluate("(s) => B.findTags(s)", text)]


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("[Flattr=12]", [(0, 11, "12")]),
        ("a[Flattr=12]b[Flattr=34]", [(1, 12, "12"), (13, 24, "34")]),
        ("[Flattr=12][Flattr=12]", [(0, 11, "12"), (11, 22, "12")]),
        ("[[Flattr=12]]", [(1, 12, "12")]),
        ("[Flattr=007]", [(0, 12, "7")]),  # the number it names
        ("[Flattr=9007199254740991]", [(0, 25, "9007199254740991")]),  # 2**53 - 1: the largest id
        ("[Flattr=9007199254740992]", []),  # beyond what JavaScript holds exactly
        ("[Flattr=12345678901234567]", []),
        ("[Flattr=0]", []),
        ("[Flattr=abc]", []),
        ("[Flattr=12a]", []),
        ("[Flattr=-12]", []),
        ("[Flattr=1.5]", []),
        ("[Flattr=]", []),
        ("[Flattr= 12]", []),
        ("[flattr=12]", []),
        ("[Flattr=12", []),
        ("[Flattr=\u0661\u0662]", []),  # Arabic-Indic digits are digits, but not an id
        ("[Flattr=\uff11\uff12]", []),  # fullwidth digits
        ("Flattr=12", []),
    ],
)
def test_find_tags(page, text, tags):
    assert find(page, text) == tags


def buttons(page) -> list[str]:
    return page.eval_on_selector_all("#root .flattr-button", "els => els.map(e => e.dataset.thingId)")


def scan(page, html: str) -> None:
    page.evaluate(
        "(html) => { const r = document.getElementById('root'); r.innerHTML = html; B.tags(r); }", html
    )


def test_a_tag_in_adjacent_text_nodes_is_one_tag(page):
    page.evaluate("""() => {
        const p = document.createElement("p");
        p.append("Like it? [Fla", "ttr=1", "2] and [Flattr=34", "] thanks");
        document.getElementById("root").append(p);
        B.tags(p);
    }""")
    assert buttons(page) == ["12", "34"]
    assert re.sub(r"Flattr\d*", "", page.text_content("#root p")) == "Like it?  and  thanks"


def test_a_tag_split_by_an_element_is_markup_not_a_tag(page):
    scan(page, "<p>[Flattr=<b>12</b>]</p><p>[Flattr=1<i>2]</i></p><p><span>[Flattr=</span>12]</p>")
    assert buttons(page) == []
    assert page.text_content("#root") == "[Flattr=12][Flattr=12][Flattr=12]"


def test_tags_in_code_editable_and_other_places_stay_as_written(page):
    places = [
        "<code>{}</code>",
        "<pre>{}</pre>",
        "<pre><span>x {}</span></pre>",
        "<textarea>{}</textarea>",
        "<div contenteditable>{}</div>",
        "<div contenteditable><p>{}</p></div>",
        "<a href='#'>{}</a>",
        "<button>{}</button>",
        "<script type='text/plain'>{}</script>",
        "<style>/* {} */</style>",
        "<svg><text>{}</text></svg>",
        "<select><option>{}</option></select>",
    ]
    scan(page, "".join(p.format("[Flattr=12]") for p in places) + "<p>[Flattr=34]</p>")
    assert buttons(page) == ["34"]


def test_an_element_inside_skipped_markup_is_skipped_when_scanned_itself(page):
    scan(page, "<code><span id='in'>x</span></code>")
    page.evaluate(
        "() => { const s = document.getElementById('in'); s.textContent = '[Flattr=12]'; B.tags(s); }"
    )
    assert buttons(page) == []


def test_scanning_again_adds_nothing(page):
    scan(page, "<p>[Flattr=12] [Flattr=34]</p>")
    page.evaluate("() => { B.tags(document.getElementById('root')); B.tags(document.body); }")
    assert buttons(page) == ["12", "34"]


def test_many_tags_one_request_per_hundred_ids(page):
    ids = [str(n) for n in range(1000, 1250)]
    html = "<p>" + " ".join(f"[Flattr={i}]" for i in ids + ids[:50]) + " [Flattr=12]</p>"
    scan(page, html)
    assert len(buttons(page)) == 301
    page.wait_for_function("document.querySelectorAll('#root .flattr-w-m:not(:empty)').length === 300")
    asked = page.evaluate("asked")
    assert len(asked) == 3  # 251 distinct ids
    assert sorted(len(a.split("/")[-1].split(",")) for a in asked) == [51, 100, 100]
    # The one thing that exists has its count; the rest say they are not on Flattr.
    known = page.locator("#root .flattr-button[data-thing-id='12']")
    assert known.locator(".flattr-w-n").text_content() == "3"
    assert known.get_by_role("button").is_enabled()
    unknown = page.locator("#root .flattr-button[data-thing-id='1000']").first
    assert unknown.get_by_role("button").is_disabled()
    assert unknown.get_by_role("status").text_content() == "This thing isn't on Flattr."


def test_invalid_ids_stay_text_next_to_valid_ones(page):
    scan(page, "<p>[Flattr=abc] [Flattr=12] [Flattr=0] [Flattr=9007199254740992]</p>")
    assert buttons(page) == ["12"]
    assert page.text_content("#root p").startswith("[Flattr=abc] ")
    assert page.text_content("#root p").endswith(" [Flattr=0] [Flattr=9007199254740992]")
