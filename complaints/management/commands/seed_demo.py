"""Load demo data: teams, staff accounts, routing rules, knowledge base, canned replies and tickets.

Reference data and accounts are created or brought up to date (safe to run again); every run
adds `--tickets` more tickets. Tickets go in with bulk inserts in batches (no service calls,
no per-ticket queries), so a million of them is a matter of minutes, not hours. Their
timelines are consistent with the status graph: every status change recorded in a
TicketEvent is a legal transition, and the times on the ticket match its events.
"""

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import reset_queries, transaction
from django.utils import timezone

from complaints import pii
from complaints.events import EventKind, tickets_bulk_loaded
from complaints.models import (
    CannedReply,
    Category,
    Customer,
    KBArticle,
    Message,
    Resolution,
    RootCause,
    RoutingRule,
    Team,
    TeamMembership,
    Ticket,
    TicketEvent,
)
from complaints.models.tickets import new_reference
from complaints.states import OPEN_STATUSES, Status

TEAMS = [
    ("customer-service", "客户服务部", "Customer service", Team.Function.CUSTOMER_SERVICE),
    ("technical", "技术支持部", "Technical support", Team.Function.TECHNICAL),
    ("product", "产品部", "Product", Team.Function.PRODUCT),
    ("billing", "计费与退款部", "Billing & refunds", Team.Function.BILLING),
    ("legal", "法务部", "Legal", Team.Function.LEGAL),
]

# Top-level category -> team that works it unless a routing rule says otherwise.
CATEGORY_TEAMS = {
    "service-quality": "customer-service",
    "product-function": "product",
    "billing": "billing",
    "network-quality": "technical",
    "hardware-repair": "technical",
    "account": "customer-service",
    "order-delivery": "customer-service",
    "other": "customer-service",
}

AGENT_NAMES = [
    ("芳", "王"),
    ("伟", "李"),
    ("敏", "张"),
    ("洋", "刘"),
    ("静", "陈"),
    ("磊", "杨"),
    ("丽", "赵"),
    ("强", "黄"),
    ("杰", "周"),
    ("婷", "吴"),
]

# name, position, channel, keywords, set category slug, team slug, priority, complexity
ROUTING_RULES = [
    (
        "Legal threats and regulators → legal",
        10,
        "",
        "律师, 起诉, 法院, 工信部, 12315, 消协, 媒体曝光, lawyer, lawsuit, sue, court, regulator",
        "",
        "legal",
        1,
        "complex",
    ),
    (
        "Charges and refunds → billing",
        20,
        "",
        "退款, 扣费, 多扣, 乱收费, 账单, 退费, refund, overcharged, charged twice, extra charge, invoice",
        "billing",
        "billing",
        2,
        "",
    ),
    (
        "Outages and no signal → technical",
        30,
        "",
        "没信号, 无信号, 断网, 网速慢, 宽带, 掉线, no signal, outage, no internet, slow connection, broadband",
        "network-quality",
        "technical",
        2,
        "complex",
    ),
    (
        "App crashes → product",
        40,
        "",
        "闪退, 崩溃, 打不开, 白屏, crash, crashes, freezes, blank screen",
        "product-app-crash",
        "product",
        3,
        "complex",
    ),
    ("Phone calls → customer service", 90, "phone", "", "", "customer-service", None, ""),
]

KB_ARTICLES = [
    (
        "how-to-request-a-refund",
        "billing-refund-difficulty",
        True,
        "如何申请退款？",
        "How do I ask for a refund?",
        "在“我的订单”中选择需要退款的订单，点击“申请退款”并填写原因。退款会在 3 个工作日内原路退回；"
        "如超过 3 个工作日仍未到账，请提交投诉并附上订单号。",
        "Open the order under 'My orders', choose 'Request a refund' and give the reason. Refunds go back "
        "to the original payment method within 3 working days; if yours has not arrived by then, submit a "
        "complaint with the order number.",
    ),
    (
        "check-my-complaint",
        "other",
        True,
        "如何查询投诉处理进度？",
        "How do I check on my complaint?",
        "提交投诉后您会收到以 CMP- 开头的受理编号。在“查询进度”页面输入编号和提交时留下的手机号或邮箱即可查看。",
        "After you submit a complaint you receive a reference starting with CMP-. Enter it on the 'Track' "
        "page with the phone number or e-mail you gave.",
    ),
    (
        "no-signal-first-steps",
        "network-no-signal",
        True,
        "手机没有信号怎么办？",
        "My phone has no signal: what can I try?",
        "请先开关一次飞行模式并重启手机；检查 SIM 卡是否插好、是否欠费停机。如仍无信号，请告诉我们所在的具体位置和时间。",
        "Switch flight mode on and off and restart the phone; check the SIM card is seated and the account "
        "is not suspended for an unpaid bill. If there is still no signal, tell us exactly where and when.",
    ),
    (
        "reset-password",
        "account-login",
        True,
        "忘记密码无法登录",
        "I forgot my password",
        "在登录页点击“忘记密码”，通过注册手机号接收验证码后设置新密码。连续输错 5 次会锁定 30 分钟。",
        "Choose 'Forgot password' on the sign-in page and set a new one with the code sent to your "
        "registered phone. Five wrong attempts lock the account for 30 minutes.",
    ),
    (
        "escalation-guideline",
        "",
        False,
        "升级处理指引（内部）",
        "When to escalate (internal)",
        "客户提及律师、监管部门或媒体时立即升级至二级并通知主管；同一客户 30 天内第三次投诉同一问题时升级。",
        "Escalate to level 2 and tell the supervisor at once when a customer mentions lawyers, regulators "
        "or the press; escalate the third complaint about the same issue by one customer within 30 days.",
    ),
    (
        "refund-approval-limits",
        "billing",
        False,
        "退款审批权限（内部）",
        "Refund approval limits (internal)",
        "坐席可直接批准 200 元以内的退款；200 至 2000 元需组长批准；超过 2000 元需主管批准。",
        "Agents approve refunds up to CNY 200; team leads up to CNY 2,000; above that the supervisor.",
    ),
]

# Each reply titled in its own language: agents pick a Chinese reply by a Chinese title.
CANNED_REPLIES = [
    (
        "受理确认",
        "zh-hans",
        "您好，您的投诉我们已受理，受理编号为 {reference}。我们会在 24 小时内与您联系，请保持电话畅通。",
    ),
    (
        "Acknowledgement",
        "en",
        "Hello, we have received your complaint (reference {reference}) and will contact you within 24 "
        "hours.",
    ),
    (
        "请补充信息",
        "zh-hans",
        "为了尽快为您处理，请补充订单号、问题发生的时间和截图。收到后我们会立即继续处理。",
    ),
    (
        "Need more information",
        "en",
        "To move your case forward, please send the order number, when it happened and a screenshot.",
    ),
    (
        "处理完毕",
        "zh-hans",
        "您好，您反映的问题已处理完毕，处理结果见上。如对结果有异议，请在 7 天内回复。",
    ),
    (
        "Resolved",
        "en",
        "Hello, your complaint has been resolved as described above. If you disagree, reply within 7 days.",
    ),
]

# category slug, kind, zh subject, zh description, en subject, en description, zh outcome, en outcome
SCENARIOS = [
    (
        "billing-extra-charges",
        Ticket.Kind.COMPLAINT,
        "本月话费多扣了{amount}元",
        "我的套餐是每月 58 元，这个月账单却扣了 {total} 元，我没有办理任何新业务。订单号 {order}。",
        "Charged CNY {amount} too much this month",
        "My plan is CNY 58 a month but this bill took CNY {total}; I ordered nothing new. Order {order}.",
        "退还多扣的费用",
        "Refund the extra charge",
    ),
    (
        "billing-refund-difficulty",
        Ticket.Kind.COMPLAINT,
        "退款申请两周了还没到账",
        "订单 {order} 于两周前申请退款，客服说 3 个工作日到账，至今没有收到 {amount} 元。",
        "Refund requested two weeks ago still missing",
        "I asked for a refund of CNY {amount} on order {order} two weeks ago and was told 3 working days.",
        "尽快退款",
        "Pay the refund now",
    ),
    (
        "network-no-signal",
        Ticket.Kind.COMPLAINT,
        "家里手机没信号",
        "最近一周在家（朝阳区望京）手机经常没有信号，打电话经常断线，严重影响工作。",
        "No signal at home",
        "For a week my phone has had no signal at home and calls keep dropping; it hurts my work.",
        "尽快修复信号",
        "Fix the coverage",
    ),
    (
        "network-slow",
        Ticket.Kind.INQUIRY,
        "宽带网速慢，晚上特别卡",
        "我办的是 500M 宽带，晚上测速只有 20M，看视频一直卡顿。",
        "Broadband slow in the evenings",
        "I pay for 500 Mbit/s broadband but get 20 Mbit/s in the evening; video keeps stalling.",
        "恢复正常网速",
        "Get the speed I pay for",
    ),
    (
        "product-app-crash",
        Ticket.Kind.COMPLAINT,
        "App 更新后一打开就闪退",
        "升级到最新版本后，App 一打开就闪退，手机型号 Mate 60，已经重装过。",
        "App crashes on start after the update",
        "Since the latest update the app crashes as soon as it opens; I already reinstalled it.",
        "修复问题",
        "Fix the app",
    ),
    (
        "product-usability",
        Ticket.Kind.SUGGESTION,
        "建议增加账单导出功能",
        "希望 App 能把每月账单导出成 PDF，方便报销。",
        "Please add a bill export",
        "I would like to export my monthly bill as a PDF for expense claims.",
        "",
        "",
    ),
    (
        "service-attitude",
        Ticket.Kind.COMPLAINT,
        "营业厅工作人员态度恶劣",
        "今天在营业厅办理业务，工作人员不耐烦，还挂断我的咨询电话。",
        "Rude staff at the shop",
        "Staff at the shop were impatient today and hung up on me when I called back.",
        "道歉并改进服务",
        "An apology",
    ),
    (
        "service-promise-broken",
        Ticket.Kind.COMPLAINT,
        "承诺的回电一直没有",
        "上周客服承诺 24 小时内回电，到现在也没有人联系我。我要找律师咨询。",
        "Promised call-back never came",
        "Last week I was promised a call back within 24 hours and nobody called. I will talk to a lawyer.",
        "给出明确答复",
        "A clear answer",
    ),
    (
        "hardware-defect",
        Ticket.Kind.COMPLAINT,
        "新买的路由器三天就坏了",
        "订单 {order} 购买的路由器使用三天后无法开机，指示灯不亮。",
        "New router died after three days",
        "The router from order {order} stopped powering on after three days.",
        "换一台新的",
        "A replacement",
    ),
    (
        "order-late-delivery",
        Ticket.Kind.COMPLAINT,
        "订单超过一周还没发货",
        "订单 {order} 显示已付款 8 天，至今没有物流信息。",
        "Order not shipped after a week",
        "Order {order} was paid 8 days ago and has no tracking yet.",
        "尽快发货或退款",
        "Ship it or refund me",
    ),
    (
        "account-virtual-goods",
        Ticket.Kind.COMPLAINT,
        "游戏内购买的道具丢失",
        "昨天充值 {amount} 元购买的道具今天登录后不见了，账号 {order}。",
        "Virtual items I bought are gone",
        "Items I bought yesterday for CNY {amount} are gone from account {order}.",
        "恢复道具",
        "Restore the items",
    ),
    (
        "account-login",
        Ticket.Kind.INQUIRY,
        "怎么修改绑定的手机号",
        "旧手机号已经停用了，想换绑新号码，收不到验证码怎么办？",
        "How do I change my phone number?",
        "My old number is gone, so I cannot get the code to move the account to a new one.",
        "",
        "",
    ),
]

SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_ZH = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
]
NAMES_EN = ["Alice", "Ben", "Chloe", "David", "Emma", "Frank", "Grace", "Henry", "Ivy", "Jack"]
SURNAMES_EN = ["Smith", "Brown", "Wilson", "Taylor", "Clark", "Walker", "Hall", "Young"]
PINYIN = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun"]

# How a demo load spreads over the statuses (every one of them appears).
STATUS_WEIGHTS = {
    Status.NEW: 8,
    Status.ACKNOWLEDGED: 10,
    Status.IN_PROGRESS: 20,
    Status.AWAITING_CUSTOMER: 8,
    Status.RESOLVED: 14,
    Status.CLOSED: 40,
}
# The legal path from new to each status (every step is in states.TRANSITIONS).
PATHS = {
    Status.NEW: [],
    Status.ACKNOWLEDGED: [Status.ACKNOWLEDGED],
    Status.IN_PROGRESS: [Status.ACKNOWLEDGED, Status.IN_PROGRESS],
    Status.AWAITING_CUSTOMER: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER],
    Status.RESOLVED: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED],
    Status.CLOSED: [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED],
}
# How old a ticket in each status typically is, in hours (min, max).
AGE_HOURS = {
    Status.NEW: (0.1, 6),
    Status.ACKNOWLEDGED: (1, 48),
    Status.IN_PROGRESS: (6, 240),
    Status.AWAITING_CUSTOMER: (24, 240),
    Status.RESOLVED: (24, 144),
    Status.CLOSED: (72, 24 * 90),
}
CHANNEL_WEIGHTS = {
    Ticket.Channel.WEB: 30,
    Ticket.Channel.PHONE: 25,
    Ticket.Channel.EMAIL: 15,
    Ticket.Channel.WECHAT: 15,
    Ticket.Channel.APP: 8,
    Ticket.Channel.WEIBO: 4,
    Ticket.Channel.API: 3,
    Ticket.Channel.CHAT: 5,
}
PRIORITY_WEIGHTS = {1: 5, 2: 20, 3: 55, 4: 20}
REMEDY_AMOUNTS = {
    Resolution.Remedy.REFUND: (20, 500),
    Resolution.Remedy.COMPENSATION: (10, 200),
}


@dataclass
class Staff:
    """The demo accounts, by team slug, for spreading tickets over them."""

    supervisor: object
    agents_by_team: dict[int, list] = field(default_factory=dict)


@contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let bulk inserts keep the historical times we give them instead of 'now'."""
    fields = [
        model._meta.get_field(name)
        for model, names in (
            (Ticket, ("created_at", "updated_at")),
            (Message, ("created_at",)),
            (TicketEvent, ("created_at",)),
            (Resolution, ("created_at",)),
        )
        for name in names
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _weighted(rng: random.Random, weights: dict, k: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


class Command(BaseCommand):
    help = "Load demo teams, accounts, routing rules, FAQ, canned replies and N tickets (bulk inserts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="tickets to add (default 200)")
        parser.add_argument(
            "--password", default="", help="password of every demo account (default: a new random one)"
        )
        parser.add_argument("--agents", type=int, default=10, help="agents agent1..agentN (default 10)")
        parser.add_argument("--batch-size", type=int, default=2000, help="tickets per insert batch")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable load")
        parser.add_argument(
            "--once",
            action="store_true",
            help="add tickets only if the database has none yet (what `make run` uses)",
        )

    def handle(self, *args, **options) -> None:
        rng = random.Random(options["seed"])
        password = options["password"] or _random_password()
        started = timezone.now()
        with transaction.atomic():
            teams = self._teams()
            self._category_teams(teams)
            staff = self._accounts(teams, options["agents"], password)
            self._routing_rules(teams)
            self._knowledge_base()
            self._canned_replies(teams)
        wanted = options["tickets"]
        if options["once"] and Ticket.objects.exists():
            self.stdout.write("Demo tickets were loaded before: none added (run seed_demo without --once).")
        elif wanted > 0:
            loaded = self._tickets(rng, staff, wanted, options["batch_size"])
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(f"Loaded {loaded} tickets in {seconds:.1f} s.")
        self._print_logins(staff, password)
        self._print_erasable_customer()

    # --- reference data ---------------------------------------------------------------

    def _teams(self) -> dict[str, Team]:
        teams = {}
        for slug, zh, en, function in TEAMS:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug,
                defaults={
                    "name_zh": zh,
                    "name_en": en,
                    "function": function,
                    "email": f"{slug}@demo.example.com",
                },
            )
        return teams

    def _category_teams(self, teams: dict[str, Team]) -> None:
        # Only categories nobody has given a team yet: an admin's choice wins over the demo's.
        for category in Category.objects.filter(default_team__isnull=True).select_related("parent"):
            top = category.parent or category
            slug = CATEGORY_TEAMS.get(top.slug)
            if slug:
                category.default_team = teams[slug]
                category.save(update_fields=["default_team"])

    def _accounts(self, teams: dict[str, Team], agents: int, password: str) -> Staff:
        User = get_user_model()
        # One hash for all accounts: hashing is deliberately slow and they share the password.
        hashed = make_password(password)
        supervisor, _ = User.objects.get_or_create(
            username="supervisor",
            defaults={"first_name": "慧敏", "last_name": "孙", "email": "supervisor@demo.example.com"},
        )
        supervisor.is_staff = True
        supervisor.is_active = True
        supervisor.password = hashed
        supervisor.save(update_fields=["is_staff", "is_active", "password"])
        supervisor.groups.add(Group.objects.get(name="Supervisors"))

        agents_group = Group.objects.get(name="Agents")
        team_list = list(teams.values())
        staff = Staff(supervisor=supervisor)
        for number in range(1, agents + 1):
            first, last = AGENT_NAMES[(number - 1) % len(AGENT_NAMES)]
            user, _ = User.objects.get_or_create(
                username=f"agent{number}",
                defaults={"first_name": first, "last_name": last, "email": f"agent{number}@demo.example.com"},
            )
            user.is_active = True
            user.password = hashed
            user.save(update_fields=["is_active", "password"])
            user.groups.add(agents_group)
            team = team_list[(number - 1) % len(team_list)]
            # The first agent placed in each team leads it.
            role = TeamMembership.Role.LEAD if number <= len(team_list) else TeamMembership.Role.AGENT
            TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})
        for membership in TeamMembership.objects.filter(team__in=team_list).select_related("user"):
            staff.agents_by_team.setdefault(membership.team_id, []).append(membership.user)
        return staff

    def _routing_rules(self, teams: dict[str, Team]) -> None:
        categories = {c.slug: c for c in Category.objects.all()}
        for name, position, channel, keywords, category, team, priority, complexity in ROUTING_RULES:
            RoutingRule.objects.get_or_create(
                name=name,
                defaults={
                    "position": position,
                    "match_channel": channel,
                    "match_keywords": keywords,
                    "set_category": categories.get(category),
                    "set_team": teams[team],
                    "set_priority": priority,
                    "set_complexity": complexity,
                },
            )

    def _knowledge_base(self) -> None:
        categories = {c.slug: c for c in Category.objects.all()}
        for slug, category, public, title_zh, title_en, body_zh, body_en in KB_ARTICLES:
            KBArticle.objects.get_or_create(
                slug=slug,
                defaults={
                    "category": categories.get(category),
                    "is_public": public,
                    "title_zh": title_zh,
                    "title_en": title_en,
                    "body_zh": body_zh,
                    "body_en": body_en,
                },
            )

    def _canned_replies(self, teams: dict[str, Team]) -> None:
        for title, language, body in CANNED_REPLIES:
            # Demo replies loaded before their Chinese titles: found by their body, retitled.
            CannedReply.objects.filter(language=language, body=body).exclude(title=title).update(title=title)
            CannedReply.objects.get_or_create(title=title, language=language, defaults={"body": body})

    # --- tickets -------------------------------------------------------------------------

    def _customers(self, rng: random.Random, count: int) -> list[Customer]:
        """A pool of customers the tickets share: encryption is paid once per customer, not per ticket."""
        customers = []
        for _ in range(count):
            zh = rng.random() < 0.75
            if zh:
                name = rng.choice(SURNAMES_ZH) + rng.choice(GIVEN_ZH)
                handle = rng.choice(PINYIN)
            else:
                first = rng.choice(NAMES_EN)
                name = f"{first} {rng.choice(SURNAMES_EN)}"
                handle = first.lower()
            email = f"{handle}.{rng.randrange(10**7):07d}@example.com" if rng.random() < 0.8 else ""
            phone = (
                "1"
                + rng.choice(["38", "39", "50", "58", "86", "88", "35", "77"])
                + f"{rng.randrange(10**8):08d}"
            )
            # bulk_create skips Customer.save(), which computes the blind indexes; the encrypted
            # fields still encrypt themselves on the way to the database.
            customers.append(
                Customer(
                    name=name,
                    email=email,
                    phone=phone,
                    email_index=pii.blind_index("email", email),
                    phone_index=pii.blind_index("phone", phone),
                    customer_number=f"C{rng.randrange(10**8):08d}",
                    preferred_language="zh-hans" if zh else "en",
                )
            )
        return Customer.objects.bulk_create(customers, batch_size=1000)

    def _tickets(self, rng: random.Random, staff: Staff, count: int, batch_size: int) -> int:
        categories = {c.slug: c for c in Category.objects.select_related("parent", "default_team")}
        teams = list(Team.objects.all())
        causes = list(RootCause.objects.filter(is_active=True))
        pool = self._customers(rng, min(max(count // 10, 20), 5000))
        loaded = 0
        with explicit_timestamps():
            while loaded < count:
                size = min(batch_size, count - loaded)
                with transaction.atomic():
                    ids = self._batch(rng, size, staff, categories, teams, causes, pool)
                    # The SLA app (and any other) builds what it keeps per ticket in bulk too.
                    tickets_bulk_loaded.send(sender=Ticket, ticket_ids=ids)
                loaded += size
                # With DEBUG on Django keeps every query's SQL; big inserts would pile up in memory.
                reset_queries()
                if count > batch_size:
                    self.stdout.write(f"  {loaded}/{count} tickets", ending="\r")
        if count > batch_size:
            self.stdout.write("")
        return loaded

    def _references(self, size: int) -> list[str]:
        """`size` new references that no ticket has yet (40 random bits collide past ~10^6 tickets)."""
        references: set[str] = set()
        while len(references) < size:
            candidates = {new_reference() for _ in range(size - len(references))} - references
            taken = set(Ticket.objects.filter(reference__in=candidates).values_list("reference", flat=True))
            references |= candidates - taken
        return list(references)

    def _batch(
        self,
        rng: random.Random,
        size: int,
        staff: Staff,
        categories: dict[str, Category],
        teams: list[Team],
        causes: list[RootCause],
        pool: list[Customer],
    ) -> list[int]:
        now = timezone.now()
        statuses = _weighted(rng, STATUS_WEIGHTS, size)
        channels = _weighted(rng, CHANNEL_WEIGHTS, size)
        priorities = _weighted(rng, PRIORITY_WEIGHTS, size)
        references = self._references(size)
        tickets: list[Ticket] = []
        plans: list[tuple[Ticket, list[tuple[str, datetime]], dict]] = []
        for index in range(size):
            status = statuses[index]
            scenario = rng.choice(SCENARIOS)
            category = categories.get(scenario[0])
            team = (category.default_team if category else None) or rng.choice(teams)
            # Some customers only ever have finished tickets, so erasing one can be tried in the demo.
            customer = rng.choice(pool if status not in OPEN_STATUSES else pool[len(pool) // 10 or 1 :])
            english = customer.preferred_language == "en"
            values = {
                "amount": rng.randrange(5, 300),
                "total": rng.randrange(80, 400),
                "order": f"{rng.randrange(10**11, 10**12)}",
            }
            subject = (scenario[4] if english else scenario[2]).format(**values)
            description = (scenario[5] if english else scenario[3]).format(**values)
            low, high = AGE_HOURS[status]
            created = now - timedelta(hours=rng.uniform(low, high))
            path = PATHS[status]
            # The steps happen in order between the opening and now.
            span = (now - created).total_seconds()
            moments = sorted(created + timedelta(seconds=span * rng.uniform(0.02, 0.98)) for _ in path)
            steps = list(zip(path, moments, strict=True))
            members = staff.agents_by_team.get(team.pk) or [None]
            assignee = rng.choice(members) if path else None
            times = dict(steps)
            escalated = status in (Status.IN_PROGRESS, Status.AWAITING_CUSTOMER) and rng.random() < 0.08
            ticket = Ticket(
                reference=references[index],
                customer=customer,
                channel=channels[index],
                kind=scenario[1],
                category=category,
                priority=priorities[index],
                complexity=Ticket.Complexity.COMPLEX if rng.random() < 0.35 else Ticket.Complexity.SIMPLE,
                status=status,
                team=team,
                assignee=assignee,
                escalation_level=1 if escalated else 0,
                version=len(path) + (2 if assignee else 1) + (1 if escalated else 0),
                subject=subject[:200],
                description=description,
                order_number=values["order"] if "{order}" in scenario[3] else "",
                occurred_at=created - timedelta(hours=rng.uniform(1, 72)),
                desired_outcome=scenario[7] if english else scenario[6],
                language=customer.preferred_language,
                created_at=created,
                updated_at=moments[-1] if moments else created,
                acknowledged_at=times.get(Status.ACKNOWLEDGED),
                first_response_at=times.get(Status.ACKNOWLEDGED),
                resolved_at=times.get(Status.RESOLVED),
                closed_at=times.get(Status.CLOSED),
            )
            tickets.append(ticket)
            plans.append((ticket, steps, {"english": english, "escalated": escalated}))
        Ticket.objects.bulk_create(tickets, batch_size=1000)

        resolutions = []
        for ticket, _steps, plan in plans:
            if ticket.resolved_at is None:
                continue
            remedy = rng.choice(list(Resolution.Remedy))
            amount_range = REMEDY_AMOUNTS.get(remedy)
            confirmed = ticket.status == Status.CLOSED and rng.random() < 0.7
            plan["confirmed"] = confirmed
            resolutions.append(
                Resolution(
                    ticket=ticket,
                    root_cause=rng.choice(causes),
                    steps_taken="Checked the account and corrected it."
                    if plan["english"]
                    else "已核查账户并予以更正。",
                    remedy=remedy,
                    amount=Decimal(rng.randrange(*amount_range)) if amount_range else Decimal(0),
                    resolved_by=ticket.assignee,
                    created_at=ticket.resolved_at,
                    customer_response=Resolution.CustomerResponse.CONFIRMED
                    if confirmed
                    else Resolution.CustomerResponse.PENDING,
                    responded_at=ticket.closed_at if confirmed else None,
                )
            )
            plan["resolution"] = resolutions[-1]
        Resolution.objects.bulk_create(resolutions, batch_size=1000)

        events: list[TicketEvent] = []
        messages: list[Message] = []
        for ticket, steps, plan in plans:
            self._timeline(rng, ticket, steps, plan, events, messages)
        TicketEvent.objects.bulk_create(events, batch_size=2000)
        Message.objects.bulk_create(messages, batch_size=2000)
        return [ticket.pk for ticket in tickets]

    def _timeline(
        self,
        rng: random.Random,
        ticket: Ticket,
        steps: list[tuple[str, datetime]],
        plan: dict,
        events: list[TicketEvent],
        messages: list[Message],
    ) -> None:
        """The events and messages that lead a ticket through `steps` (all legal moves)."""
        english = plan["english"]
        agent = ticket.assignee
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.OPENED,
                to_value=Status.NEW,
                detail={"channel": ticket.channel, "demo": True},
                created_at=ticket.created_at,
            )
        )
        messages.append(
            Message(
                ticket=ticket,
                kind=Message.Kind.CUSTOMER,
                channel=ticket.channel,
                body=ticket.description,
                created_at=ticket.created_at,
            )
        )
        before = Status.NEW
        for to, at in steps:
            if to == Status.ACKNOWLEDGED:
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        kind=EventKind.ACKNOWLEDGED,
                        actor=agent,
                        from_value=before,
                        to_value=to,
                        created_at=at,
                    )
                )
                if agent is not None:
                    events.append(
                        TicketEvent(
                            ticket=ticket,
                            kind=EventKind.ASSIGNED,
                            actor=agent,
                            to_value=agent.get_username(),
                            created_at=at,
                        )
                    )
                body = (
                    f"Hello, we have received your complaint (reference {ticket.reference}) and are on it."
                    if english
                    else f"您好，您的投诉已受理，受理编号 {ticket.reference}，我们正在处理。"
                )
                messages.append(
                    Message(
                        ticket=ticket,
                        kind=Message.Kind.REPLY,
                        author=agent,
                        channel=ticket.channel,
                        body=body,
                        created_at=at,
                    )
                )
            elif to == Status.RESOLVED:
                resolution = plan["resolution"]
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        kind=EventKind.RESOLVED,
                        actor=agent,
                        from_value=before,
                        to_value=to,
                        detail={
                            "resolution_id": resolution.pk,
                            "root_cause": resolution.root_cause.slug,
                            "remedy": resolution.remedy,
                            "amount": str(resolution.amount),
                        },
                        created_at=at,
                    )
                )
                body = "Your complaint is resolved." if english else "您的问题已处理完毕。"
                messages.append(
                    Message(
                        ticket=ticket,
                        kind=Message.Kind.REPLY,
                        author=agent,
                        channel=ticket.channel,
                        body=body,
                        created_at=at,
                    )
                )
            elif to == Status.CLOSED:
                kind = EventKind.CONFIRMED if plan.get("confirmed") else EventKind.AUTO_CLOSED
                events.append(
                    TicketEvent(ticket=ticket, kind=kind, from_value=before, to_value=to, created_at=at)
                )
            else:
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        kind=EventKind.STATUS_CHANGED,
                        actor=agent,
                        from_value=before,
                        to_value=to,
                        created_at=at,
                    )
                )
                if to == Status.AWAITING_CUSTOMER:
                    body = (
                        "Please send us the order number and a screenshot."
                        if english
                        else "请补充订单号和截图。"
                    )
                    messages.append(
                        Message(
                            ticket=ticket,
                            kind=Message.Kind.REPLY,
                            author=agent,
                            channel=ticket.channel,
                            body=body,
                            created_at=at,
                        )
                    )
                elif rng.random() < 0.3:
                    messages.append(
                        Message(
                            ticket=ticket,
                            kind=Message.Kind.NOTE,
                            author=agent,
                            channel=ticket.channel,
                            body="Called the customer, checking the records."
                            if english
                            else "已致电客户，正在核查记录。",
                            created_at=at,
                        )
                    )
                if plan["escalated"] and to == Status.IN_PROGRESS:
                    events.append(
                        TicketEvent(
                            ticket=ticket,
                            kind=EventKind.ESCALATED,
                            actor=agent,
                            from_value="0",
                            to_value="1",
                            reason="Customer mentioned a regulator."
                            if english
                            else "客户提及向监管部门投诉。",
                            created_at=at,
                        )
                    )
            before = to

    def _print_erasable_customer(self) -> None:
        """Name the console page of a customer whose tickets are all finished (erasure needs that)."""
        settled = (
            Customer.objects.filter(tickets__isnull=False, erased_at__isnull=True)
            .exclude(tickets__status__in=OPEN_STATUSES)
            .order_by("pk")
            .first()
        )
        if settled is not None:
            self.stdout.write(
                f"Customer with no open ticket (try erasure): /admin/complaints/customer/{settled.pk}/change/"
            )

    def _print_logins(self, staff: Staff, password: str) -> None:
        usernames = sorted(
            {user.get_username() for users in staff.agents_by_team.values() for user in users},
            key=lambda name: (len(name), name),
        )
        self.stdout.write("Demo logins (same password for all):")
        self.stdout.write(f"  supervisor  /admin/  password: {password}")
        self.stdout.write(f"  {', '.join(usernames)}  /desk/")


def _random_password() -> str:
    return secrets.token_urlsafe(12)
