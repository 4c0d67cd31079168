"""Quality inspection in a real browser: an inspector scores a ticket in Chinese, the agent appeals in
English, the team lead rescores; the public transparency page on a phone shows its figures and hides
the small cells; the supervisor opens the month's review pack and downloads its PDF.
Screenshots: var/browser/quality-*.png."""

from datetime import timedelta

from django.utils import timezone

from complaints.models import StaffPreference, Ticket
from quality import transparency
from quality.models import Review
from quality.services import CriterionScore, submit_review, week_start_of
from tests.browser.conftest import PASSWORD, browser_marks, open_page, sign_in
from tests.factories import AgentFactory, CategoryFactory, SupervisorFactory, TeamFactory, TicketFactory
from tests.quality.factories import inspector, rated, scorecard

pytestmark = browser_marks()


def _people():
    team = TeamFactory(slug="billing", name_zh="计费部", name_en="Billing")
    agent = AgentFactory(username="wang", first_name="芳", last_name="王", team=team)
    lead = AgentFactory(username="lead-li", first_name="雷", last_name="李", team=team, team__role="lead")
    qa = inspector("qa-zhao", first_name="敏", last_name="赵")
    StaffPreference.objects.create(user=qa, language="zh-hans")
    StaffPreference.objects.create(user=agent, language="en")
    StaffPreference.objects.create(user=lead, language="en")
    return team, agent, lead, qa


def _review(team, agent) -> Review:
    card = scorecard()
    ticket = TicketFactory(
        team=team,
        assignee=agent,
        subject="账单多扣了 30 元",
        status=Ticket.Status.CLOSED,
        closed_at=timezone.now() - timedelta(days=2),
        resolved_at=timezone.now() - timedelta(days=3),
    )
    ticket.messages.create(kind="customer", channel="web", body="我的账单这个月多扣了 30 元，请退还。")
    ticket.messages.create(
        kind="reply", channel="web", author=agent, body="您好，已核实多扣 30 元，已原路退回。"
    )
    return Review.objects.create(
        ticket=ticket,
        week_start=week_start_of(timezone.localdate()),
        reason=Review.Reason.RANDOM,
        agent=agent,
        team=team,
        scorecard=card,
    )


def _score(page, review: Review, points: dict[str, str]) -> None:
    for criterion in review.scorecard.criteria.all():
        page.check(f"input[name='points_{criterion.pk}'][value='{points[criterion.name_en]}']")


def test_an_inspection_is_scored_appealed_and_decided(live_server, browser, screenshots):
    team, _agent, _lead, _qa = _people()
    review = _review(team, _agent)
    url = f"{live_server.url}/desk/quality/reviews/{review.pk}/"

    # The inspector, in Chinese, scores the ticket beside its timeline.
    page = sign_in(browser, live_server.url, "qa-zhao", language="zh-hans")
    page.goto(f"{live_server.url}/desk/quality/")
    page.click(f"a[href='/desk/quality/reviews/{review.pk}/']")
    assert "账单多扣了 30 元" in page.inner_text("h1")
    _score(page, review, {"Courtesy": "3", "Resolution quality": "3", "Privacy respected": "1"})
    page.fill("textarea[name=comment]", "解释清楚，但没有主动道歉。")
    page.screenshot(path=str(screenshots / "quality-scoring-zh-hans.png"), full_page=True)
    page.click(".scorecard button[type=submit]")
    page.wait_for_selector(".messages >> text=质检评分已提交。")
    facts = page.inner_text(".facts-box")
    assert "68.0" in facts and "已评分" in facts
    page.screenshot(path=str(screenshots / "quality-scored-zh-hans.png"), full_page=True)
    page.context.close()

    # The agent, in English, sees the score and appeals once.
    page = sign_in(browser, live_server.url, "wang", language="en")
    page.goto(f"{live_server.url}/desk/quality/")
    assert review.ticket.reference in page.inner_text("main")
    page.goto(url)
    assert "68.0" in page.inner_text(".facts-box")
    page.fill("textarea[name=reason]", "The customer had asked not to be called back; I followed that.")
    page.click("form[action$='/appeal/'] button[type=submit]")
    page.wait_for_selector(".messages >> text=Your appeal was sent to your team lead.")
    assert page.locator("form[action$='/appeal/']").count() == 0  # once only
    page.screenshot(path=str(screenshots / "quality-appealed-en.png"), full_page=True)
    page.context.close()

    # The team lead changes the score; the inspector's first score stays on record.
    page = sign_in(browser, live_server.url, "lead-li", language="en")
    page.goto(url)
    page.check("input[name=decision][value=changed]")
    _score(page, review, {"Courtesy": "4", "Resolution quality": "4", "Privacy respected": "1"})
    page.fill("textarea[name=note]", "Agreed: the customer's wish came first.")
    page.screenshot(path=str(screenshots / "quality-deciding-en.png"), full_page=True)
    page.click("form[action$='/decide/'] button[type=submit]")
    page.wait_for_selector(".messages >> text=Appeal decided.")
    assert "84.0" in page.inner_text(".facts-box")
    assert "The inspector's first score: 68.0%" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "quality-decided-en.png"), full_page=True)
    page.context.close()
    review.refresh_from_db()
    assert (review.state, review.score, review.original_score) == ("decided", 84, 68)


def test_the_transparency_page_on_a_phone_shows_figures_and_hides_small_cells(
    live_server, browser, screenshots
):
    billing = CategoryFactory(slug="billing-public", name_zh="计费", name_en="Billing")
    network = CategoryFactory(slug="network-public", name_zh="网络", name_en="Network")
    for index in range(15):
        TicketFactory(category=billing if index < 12 else network, subject=f"私密标题 {index}")
    transparency.compute_snapshot()

    for language, received, hidden_note in (
        ("zh-hans", "收到", "不予显示"),
        ("en", "Received", "are not shown"),
    ):
        page = open_page(browser, viewport="phone", language=language)
        page.goto(f"{live_server.url}/transparency/")
        text = page.inner_text("main")
        assert received in text and hidden_note in text
        assert "15" in page.inner_text("#months-heading + .table-scroll")
        categories = page.inner_text("#categories-heading + .table-scroll")
        assert ("计费" if language == "zh-hans" else "Billing") in categories
        assert "网络" not in categories and "Network" not in categories  # 3 complaints: never shown
        assert "私密标题" not in page.content()
        # The page itself never scrolls sideways; only a wide table scrolls in its own box.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"quality-transparency-phone-{language}.png"), full_page=True)
        page.context.close()


def test_the_supervisor_reads_the_review_pack_and_downloads_its_pdf(live_server, browser, screenshots):
    team, agent, _lead, qa = _people()
    review = _review(team, agent)
    submit_review(
        review_id=review.pk,
        actor=qa,
        scores={c.pk: CriterionScore(min(4, c.max_points)) for c in review.scorecard.criteria.all()},
    )
    tickets = [TicketFactory(team=team, channel=channel) for channel in ("web", "web", "email")]
    rated(tickets[0], 5)
    rated(tickets[1], 2)
    SupervisorFactory(username="boss", first_name="总", last_name="陈")
    month = timezone.localdate().strftime("%Y-%m")
    for language, title in (("en", "Management review pack"), ("zh-hans", "管理评审报告")):
        page = open_page(browser, language=language)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        # The dashboard's quality card leads to the pack.
        page.click("#console-quality >> a[href='/admin/quality/review-pack/']")
        page.fill("#id_month", month)
        page.click(".pack-month button[type=submit]")
        page.wait_for_url(f"**/admin/quality/review-pack/?month={month}")
        assert title in page.inner_text("#content")
        assert page.inner_text("[data-kpi=received] .pack-big") == "4"
        assert page.inner_text("[data-kpi=quality] .pack-big") == "84.0%"
        assert page.inner_text("[data-kpi=csat] .pack-big") == "50.0%"
        assert page.locator("#pack-csat svg.console-chart").count() == 1
        assert page.locator("#pack-channels tr[data-channel=web] td.pack-num").first.inner_text() == "3"
        page.screenshot(path=str(screenshots / f"quality-review-pack-{language}.png"), full_page=True)
        with page.expect_download() as download:
            page.click("a.pack-download")
        pdf = download.value
        assert pdf.suggested_filename == f"review-pack-{month}.pdf"
        with open(pdf.path(), "rb") as file:
            assert file.read(5) == b"%PDF-"
        # From the pack to the scores over the weeks, each row with its trend.
        page.click("#pack-quality >> a[href='/admin/quality/scores/']")
        page.wait_for_selector("#scores-agents tr[data-key=wang] svg.console-chart")
        assert "84.0%" in page.inner_text("#scores-agents tr[data-key=wang]")
        assert "王芳" in page.inner_text("#scores-agents")
        page.screenshot(path=str(screenshots / f"quality-scores-{language}.png"), full_page=True)
        page.context.close()


def test_a_corrective_action_opens_from_the_review_packs_root_cause_prefilled(
    live_server, browser, screenshots
):
    from complaints.models import Resolution
    from quality.models import CorrectiveAction
    from tests.factories import RootCauseFactory

    cause = RootCauseFactory(slug="tariff-error", name_en="Wrong tariff", name_zh="资费设置错误")
    for _n in range(2):
        Resolution.objects.create(ticket=TicketFactory(), root_cause=cause, steps_taken="Fixed.")
    boss = SupervisorFactory(username="boss", first_name="总", last_name="陈")
    month = timezone.localdate().strftime("%Y-%m")
    for language, label, title in (
        ("en", "Open a corrective action", "Fewer complaints about Wrong tariff"),
        ("zh-hans", "发起纠正措施", "减少“资费设置错误”投诉"),
    ):
        page = open_page(browser, language=language)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        page.goto(f"{live_server.url}/admin/quality/review-pack/?month={month}")
        row = page.locator("#pack-causes tr[data-root-cause=tariff-error]")
        row.locator(f"a.pack-action:has-text('{label}')").click()
        page.wait_for_url("**/admin/quality/correctiveaction/add/**")
        assert page.input_value("#id_title") == title
        assert page.input_value("#id_root_cause") == str(cause.pk)
        page.fill("#id_problem", "Bills show the old tariff.")
        page.fill("#id_action", "Check every tariff before launch.")
        page.select_option("#id_owner", str(boss.pk))
        page.fill("#id_due_date", "2027-01-15")
        page.screenshot(path=str(screenshots / f"quality-action-from-pack-{language}.png"), full_page=True)
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist")
        assert "CSRF" not in page.content()
        assert CorrectiveAction.objects.filter(title=title, root_cause=cause).count() == 1
        page.context.close()
