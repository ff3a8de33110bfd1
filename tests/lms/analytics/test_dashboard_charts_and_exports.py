"""HR dashboards: charts a reader can tell apart, exports that say what the page says.

The snapshot is written here directly in the documented format (docs/analytics.md), over the CRCN and
DigComp together: both have a competence « 2.1 » and a domain « Communication et collaboration ».
"""

import csv
import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.utils import translation
from openpyxl import load_workbook

from competences.models import Area, Competence
from lms.dashboards import charts
from lms.models import AggregateSharing, Collectivity, Membership, Service
from tests.conftest import PASSWORD, make_user
from tests.lms.analytics.helpers import write_snapshot

MONTHS = [f"{year}-{month:02d}" for year, month in [(2025, 12), *((2026, m) for m in range(1, 12))]]
SVG = "{http://www.w3.org/2000/svg}"
#: A generous advance for one character at the charts' 12px, independent of the code under test.
CHAR = 0.6 * 12


def _url(panel):
    return f"/admin/tremplin/dashboards/{panel}/"


# Charts on their own ------------------------------------------------------------------------------------


def _svg(markup):
    return ET.fromstring(str(markup))


def _view_box(svg):
    _x, _y, width, height = (float(v) for v in svg.get("viewBox").split())
    return width, height


def _bounds(element):
    """The box an element of a legend takes: (left, top, right, bottom)."""
    tag, get = element.tag.removeprefix(SVG), lambda name: float(element.get(name))
    if tag == "text":
        return get("x"), get("y") - 12, get("x") + len(element.text or "") * CHAR, get("y") + 3
    if tag == "line":
        return min(get("x1"), get("x2")), get("y1") - 1, max(get("x1"), get("x2")), get("y1") + 1
    if tag == "rect":
        return get("x"), get("y"), get("x") + get("width"), get("y") + get("height")
    if tag == "circle":
        r = get("r")
        return get("cx") - r, get("cy") - r, get("cx") + r, get("cy") + r
    numbers = [float(n) for n in re.findall(r"-?[\d.]+", element.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


TEN_DOMAINS = [
    f"{framework} · {title}"
    for framework in ("CRCN", "DigComp")
    for title in (
        "Information et données",
        "Communication et collaboration",
        "Création de contenus numériques",
        "Protection et sécurité",
        "Résolution de problèmes et environnement numérique",
    )
]


def test_every_legend_entry_of_a_line_chart_lies_inside_its_view_box():
    chart = charts.line_chart("c", "t", MONTHS, [(name, [1.5] * 12) for name in TEN_DOMAINS])
    svg = _svg(chart)
    width, height = _view_box(svg)
    legend = svg.find(f"{SVG}g[@class='legend']")
    shapes = [
        e for e in legend.iter() if e.tag.removeprefix(SVG) in ("text", "line", "rect", "circle", "path")
    ]
    assert len([e for e in shapes if e.tag == f"{SVG}text"]) == 10
    assert all(
        left >= 0 and right <= width and top >= 0 and bottom <= height
        for left, top, right, bottom in map(_bounds, shapes)
    )


def test_every_legend_entry_of_a_bar_chart_lies_inside_its_view_box():
    stages = [
        "Inscrits",
        "Ont commencé",
        "Ont réussi une évaluation",
        "Ont terminé",
        "Ont abandonné en cours",
    ]
    svg = _svg(charts.bar_chart("c", "t", ["Une formation"], [(stage, [3]) for stage in stages]))
    width, height = _view_box(svg)
    shapes = [
        e
        for e in svg.find(f"{SVG}g[@class='legend']").iter()
        if e.tag != f"{SVG}g" and e.tag != f"{SVG}title"
    ]
    assert all(
        left >= 0 and right <= width and bottom <= height for left, _t, right, bottom in map(_bounds, shapes)
    )


def _marker_shape(marker):
    """A marker as a shape: circles and squares by their tag, triangles and diamonds by their corners."""
    return marker.tag, len(re.findall(r"[ML]", marker.get("d", "")))


def test_line_series_differ_by_dash_or_marker_not_only_by_colour():
    svg = _svg(charts.line_chart("c", "t", MONTHS, [(name, [1.0] * 12) for name in TEN_DOMAINS]))
    children = list(svg)
    lines = svg.findall(f"{SVG}polyline")
    # Each line is followed by its markers: what tells it apart without colour is its dashes and marker.
    looks = {
        (line.get("stroke-dasharray", ""), _marker_shape(children[children.index(line) + 1]))
        for line in lines
    }
    assert len(lines) == len(looks) == 10


def test_chart_months_read_as_month_and_year_in_french():
    with translation.override("fr"):
        svg = _svg(charts.line_chart("c", "t", MONTHS, [("Apprenants actifs", [5] * 12)]))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    # After the axis' two values, each month's name, and its year at the first month and each January.
    assert texts[2:7] == ["déc.", "2025", "jan.", "2026", "fév."] and "25-12" not in texts


def test_heat_map_row_labels_are_whole_and_clear_of_the_cells():
    svg = _svg(charts.heat_map("c", "t", ["DigComp 5.4", "CRCN 1.1"], ["1", "—"], [[0.5, 0.5], [None, 1]]))
    first_cell = min(float(rect.get("x")) for rect in svg.iter(f"{SVG}rect"))
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("x") == "4"]
    assert [t.text for t in labels] == ["DigComp 5.4", "CRCN 1.1"]
    assert all(_bounds(label)[2] <= first_cell for label in labels)


# Pages and exports ---------------------------------------------------------------------------------------


def _distribution(size, assessed_at):
    """``size`` people: nobody assessed but ``assessed_at`` = {level: count}."""
    distribution = [0] * 9
    for level, count in assessed_at.items():
        distribution[level] = count
    distribution[0] = size - sum(assessed_at.values())
    return distribution


def _group(size, *, competences, areas):
    months = len(MONTHS)
    level_mix = _distribution(size, {2: size * 2 // 3, 3: size // 3})  # a mean level of 2.33
    halves = _distribution(size, {2: size // 2, 3: size // 2})
    return {
        "size": size,
        "monthly": {
            "active": list(
                range(5, 5 + months)
            ),  # 5 … 16: the last complete month has 15, one more than before
            "completions": [6] * months,
            "completers": [6] * months,
            "hours": [13.2] * months,
            "progressed": [5] * months,
        },
        "progressed": {"3": 6, "6": 6, "12": 6},
        "completers": {"3": 6, "6": 6, "12": 6},  # distinct people over each period
        "levels": [[list(halves) for _ in range(months)] for _ in competences],
        "mean": [[2.33] * months for _ in competences],
        "assessed": [[12] * months for _ in competences],
        "domains": [[list(level_mix) for _ in range(months)] for _ in areas],
        "declared": [[0] * 9 for _ in competences],
        "funnel": {},
    }


@pytest.fixture
def snapshot(frameworks, commune, hr_manager, settings):
    """Valmont, 12 agents (6 in « Accueil ») over the CRCN and DigComp 2.2: every area, competences 2.1."""
    settings.LMS_MIN_GROUP_SIZE = 5
    accueil = Service.objects.create(collectivity=commune, name="Accueil")
    agents = [make_user(f"agent{n}", commune, Membership.Role.AGENT) for n in range(12)]
    Membership.objects.filter(user__in=agents[:6]).update(service=accueil)
    competences = list(
        Competence.objects.filter(code="2.1").order_by("framework__slug").values_list("pk", flat=True)
    )
    areas = list(Area.objects.order_by("framework__slug", "sort_order").values_list("pk", flat=True))
    shape = {"competences": competences, "areas": areas}
    groups = {
        key: _group(12 if key[-4:] == "|all" else 6, **shape)
        for key in ("all|all|all", "agent|all|all", f"all|all|{accueil.pk}", f"agent|all|{accueil.pk}")
    }
    write_snapshot(
        commune,
        months=MONTHS,
        competences=competences,
        areas=areas,
        services=[accueil.pk],
        groups=groups,
        version=2,
    )
    return {"accueil": accueil, "competences": competences}


@pytest.fixture
def hr(client, hr_manager):
    assert client.login(username=hr_manager.username, password=PASSWORD)
    return client


def _text(fragment):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _page_tables(page):
    """``{title: [columns, *rows]}`` of every table of the page, cells as the reader sees them."""
    tables = {}
    for section in re.findall(r"<section .*?</section>", page, re.S):
        title = _text(re.search(r"<h2[^>]*>(.*?)</h2>", section, re.S).group(1))
        rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
        tables[title] = [
            [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows
        ]
    return tables


def _page_key_figures(page):
    """``[[label, value, change], …]`` as the page writes them (« 15 (+1 par rapport au mois précédent) »)."""
    figures = []
    for label, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S):
        change = re.search(r"\(([+-]?[\d,]+) ", _text(value))
        figures.append([_text(label), _text(value.split("<span>")[0]), change.group(1) if change else ""])
    return figures


def _page_filters(page):
    """``{label: chosen option}`` of the filter form."""
    chosen = {}
    for name in ("collectivity", "period", "population", "service", "job_profile", "course"):
        label = _text(re.search(rf'<label for="id_{name}">(.*?)</label>', page).group(1))
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        option = re.search(r"<option[^>]*selected[^>]*>(.*?)</option>", select) or re.search(
            r"<option[^>]*>(.*?)</option>", select
        )
        chosen[label] = _text(option.group(1))
    return chosen


def _csv_blocks(response):
    """The CSV as ``(notes, {block title: rows})``: blocks are separated by empty lines."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    blocks, current = [], []
    for row in [*rows, []]:
        if row:
            current.append(row)
        elif current:
            blocks.append(current)
            current = []
    return blocks[0], {block[0][0]: block[1:] for block in blocks[1:]}


def _fr(message):
    with translation.override("fr"):
        return translation.gettext(message)


pytestmark = pytest.mark.django_db


def test_growth_legend_and_heat_map_rows_name_their_framework_once_each(hr, snapshot):
    growth = hr.get(_url("growth")).content.decode()
    levels = hr.get(_url("levels")).content.decode()
    legend = [_text(t) for t in re.findall(r"<text [^>]*>(.*?)</text>", growth.split('class="legend"')[1])]
    heat_rows = re.findall(r'<text x="4" y="[\d.]+">(.*?)</text>', levels)
    assert len(legend) == len(set(legend)) == 10 and heat_rows == ["CRCN 2.1", "DigComp 2.1"]
    assert "CRCN · Communication et collaboration" in legend
    assert "DigComp · Communication et collaboration" in legend


def test_every_chart_of_every_panel_still_has_its_data_table(hr, snapshot):
    for panel in ("overview", "growth", "levels"):
        page = hr.get(_url(panel)).content.decode()
        sections = re.findall(r"<section .*?</section>", page, re.S)
        with_chart = [s for s in sections if "<svg" in s]
        assert with_chart and all('<table class="listing"' in s for s in with_chart), panel


@pytest.mark.parametrize("panel", ["overview", "growth", "levels"])
def test_csv_export_has_the_tables_the_page_shows(hr, snapshot, panel):
    page = hr.get(_url(panel)).content.decode()
    _notes, blocks = _csv_blocks(hr.get(_url(panel), {"export": "csv"}))
    tables = _page_tables(page)
    assert tables and all(blocks[title] == rows for title, rows in tables.items())


def test_csv_export_has_the_key_figures_with_their_change_on_the_month_before(hr, snapshot):
    page = hr.get(_url("overview")).content.decode()
    _notes, blocks = _csv_blocks(hr.get(_url("overview"), {"export": "csv"}))
    figures = blocks[_fr("Key figures")]
    assert (
        figures[1:] == _page_key_figures(page) and [_fr("Active learners last month"), "15", "+1"] in figures
    )


def test_csv_export_lists_the_filters_the_page_applied(hr, snapshot):
    query = {"period": "6", "population": "agent", "service": snapshot["accueil"].pk}
    page = hr.get(_url("overview"), query).content.decode()
    _notes, blocks = _csv_blocks(hr.get(_url("overview"), {**query, "export": "csv"}))
    listed = dict(blocks[_fr("Filters")])
    assert listed == _page_filters(page) and listed[_fr("Service")] == "Accueil"


def test_csv_export_says_when_the_figures_were_computed(hr, snapshot):
    notes, _blocks = _csv_blocks(hr.get(_url("growth"), {"export": "csv"}))
    assert any(note[0].startswith(_fr("Figures computed on %(date)s.").split("%")[0]) for note in notes)


def test_csv_export_writes_decimals_with_the_french_comma(hr, snapshot):
    _notes, blocks = _csv_blocks(hr.get(_url("growth"), {"export": "csv"}))
    row = blocks[_fr("Mean validated level per domain")][1]
    assert row[1:] == ["2,33"] * 12


def test_xlsx_export_keeps_numbers_as_numbers(hr, snapshot):
    workbook = load_workbook(io.BytesIO(hr.get(_url("overview"), {"export": "xlsx"}).content))
    key_figures = list(workbook.worksheets[0].iter_rows(values_only=True))
    hours = next(row for row in key_figures if row[0] == _fr("Hours of training in the period"))
    active = next(row for row in key_figures if row[0] == _fr("Active learners last month"))
    assert hours[1] == pytest.approx(158.4) and active[1:] == (15, 1)


def test_xlsx_export_lists_the_filters_with_the_notes(hr, snapshot):
    workbook = load_workbook(io.BytesIO(hr.get(_url("overview"), {"period": "3", "export": "xlsx"}).content))
    rows = [row[:2] for row in workbook.worksheets[-1].iter_rows(values_only=True)]
    assert (_fr("Period"), _fr("Last 3 months")) in rows


def test_active_learners_last_month_is_the_last_complete_month(hr, snapshot):
    page = hr.get(_url("overview")).content.decode()
    figures = {label: value for label, value, _change in _page_key_figures(page)}
    activity = _page_tables(page)[_fr("Activity per month")]
    # The snapshot's own month (the last row) is still running.
    assert figures[_fr("Active learners last month")] == activity[-2][1] == "15"


# Drill-down ------------------------------------------------------------------------------------------------


def _drill_links(page):
    return re.findall(r'href="(/admin/tremplin/dashboards/learners/[^"]*)"', page)


def test_an_hr_manager_of_the_collectivity_gets_drill_down_links(hr, snapshot):
    assert _drill_links(hr.get(_url("levels")).content.decode())


def test_a_platform_administrator_gets_no_drill_down_link(client, admin_user, snapshot, commune):
    client.force_login(admin_user)
    page = client.get(_url("levels"), {"collectivity": commune.slug}).content.decode()
    assert "CRCN 2.1" in page and not _drill_links(page)


def test_an_epci_manager_viewing_a_member_commune_gets_no_drill_down_link(client, snapshot, commune):
    epci = Collectivity.objects.create(name="CC du Val", slug="cc-val", kind="epci")
    epci.members.add(commune)
    AggregateSharing.objects.create(member=commune, grouping=epci)
    client.force_login(make_user("rh.cc", epci, Membership.Role.HR_MANAGER))
    page = client.get(_url("levels"), {"collectivity": commune.slug}).content.decode()
    assert "CRCN 2.1" in page and not _drill_links(page)


DESCRIPTIONS = []


def record_description(request, collectivity, description, actor_names):
    DESCRIPTIONS.append(description)


def test_drill_down_audit_entry_names_the_service(hr, snapshot, commune, settings):
    settings.LMS_DRILLDOWN_AUDIT = f"{__name__}.record_description"
    DESCRIPTIONS.clear()
    service = snapshot["accueil"].pk
    hr.get(
        "/admin/tremplin/dashboards/learners/",
        {
            "collectivity": commune.slug,
            "competence": snapshot["competences"][0],
            "level": 2,
            "service": service,
        },
    )
    assert len(DESCRIPTIONS) == 1 and f"service={service}" in DESCRIPTIONS[0]


def test_a_competence_titled_in_english_is_marked_as_english_on_the_french_page(hr, snapshot):
    """RGAA 8.7: DigComp's titles have no official French version: screen readers read them in English."""
    page = hr.get(_url("levels")).content.decode()
    rows = re.findall(r'<th scope="row"([^>]*)>((?:CRCN|DigComp) [^<]*)</th>', page)
    marks = {text.split(" ")[0]: attributes for attributes, text in rows}
    assert marks == {"CRCN": "", "DigComp": ' lang="en"'}


def test_csv_export_writes_a_name_that_looks_like_a_formula_as_text(hr, snapshot):
    snapshot["accueil"].name = '=HYPERLINK("http://evil.example";"Accueil")'
    snapshot["accueil"].save()
    query = {"population": "agent", "service": snapshot["accueil"].pk, "export": "csv"}
    _notes, blocks = _csv_blocks(hr.get(_url("overview"), query))
    assert dict(blocks[_fr("Filters")])[_fr("Service")] == "'" + snapshot["accueil"].name


def test_xlsx_export_of_a_name_with_a_control_character_keeps_it_as_text(hr, snapshot):
    snapshot["accueil"].name = "=1+1\x0b Accueil"
    snapshot["accueil"].save()
    query = {"population": "agent", "service": snapshot["accueil"].pk, "export": "xlsx"}
    workbook = load_workbook(io.BytesIO(hr.get(_url("overview"), query).content))
    rows = [row[:2] for row in workbook.worksheets[-1].iter_rows(values_only=True)]
    assert (_fr("Service"), "=1+1 Accueil") in rows
