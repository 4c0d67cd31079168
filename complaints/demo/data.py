"""The demo's data tables: teams, agents, routing rules, FAQ, canned replies, ticket scenarios, and the
weights that spread the demo tickets over statuses, channels and priorities."""

from complaints.models import Resolution, Team, Ticket
from complaints.states import Status

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
