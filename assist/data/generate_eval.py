"""Writes the assistant's evaluation set: eval_tickets.jsonl and eval_pairs.jsonl (run once, output committed).

    .venv/bin/python assist/data/generate_eval.py

Each text is put together from hand-written parts per category (a way of opening, the problem in one of
several wordings, a detail, what the customer wants), in Chinese or English, with invented specifics
(order numbers, amounts, days). The parts are not the demo loader's templates. The last two wordings of
each category's problem are kept for the test split only, so the held-out figures measure wording the
classifier has not seen. Pairs: two wordings of one matter with the same specifics (a repeat), or two
different matters of one customer (same parent category, or not).
"""

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

TEAM_OF_TOP = {
    "service-quality": "customer-service",
    "product-function": "product",
    "billing": "billing",
    "network-quality": "technical",
    "hardware-repair": "technical",
    "account": "customer-service",
    "order-delivery": "customer-service",
    "other": "customer-service",
}

# category slug -> (parent slug, default priority, {"zh": {"problem": [...], "detail": [...]}, "en": {...}})
CATEGORIES: dict[str, tuple[str, int, dict[str, dict[str, list[str]]]]] = {
    "service-attitude": (
        "service-quality",
        3,
        {
            "zh": {
                "problem": [
                    "营业厅的工作人员态度非常差，问两句就不耐烦",
                    "客服说话阴阳怪气，还直接把我电话挂了",
                    "你们的店员对顾客爱答不理，一直在玩手机",
                    "接线的客服冲我大声嚷嚷，说是我自己操作有问题",
                    "上门的师傅骂骂咧咧，说我事多",
                    "在线客服回复敷衍，复制粘贴一样的话，根本不看我的问题",
                    "门店经理当着其他顾客的面讽刺我，太没有礼貌了",
                ],
                "detail": [
                    "工号是{staff}，时间是{date}下午",
                    "我全程都很客气，对方却越说越凶",
                    "旁边的顾客都看不下去了",
                    "通话录音你们可以调出来听",
                ],
            },
            "en": {
                "problem": [
                    "the agent on the hotline was rude and hung up on me",
                    "the staff at your store ignored me and kept chatting with each other",
                    "your support person talked down to me as if I were stupid",
                    "the technician who came to my flat was swearing and refused to take his shoes off",
                    "the chat agent kept pasting the same canned answer without reading my question",
                    "the shop manager mocked me in front of other customers",
                    "the person on the phone shouted at me and blamed me for the problem",
                ],
                "detail": [
                    "the staff number was {staff}, on {date_en}",
                    "I stayed polite the whole time",
                    "you can check the call recording",
                    "other people in the queue saw it",
                ],
            },
        },
    ),
    "service-response-slow": (
        "service-quality",
        3,
        {
            "zh": {
                "problem": [
                    "提交工单{days}天了一直没有人联系我",
                    "热线电话排队四十分钟都没人接",
                    "在线客服留言以后石沉大海，没有任何回复",
                    "每次都说会有专员回电，结果一次都没打过来",
                    "邮件发了好几封，到现在一个字的回复都没有",
                    "问题反映上去以后就没有下文了，催了也没用",
                    "客服说48小时内处理，现在一个星期过去了还是没动静",
                ],
                "detail": [
                    "工单号{order}",
                    "我已经催了{count}次",
                    "每次打过去都要重新说一遍情况",
                    "只收到一条自动回复",
                ],
            },
            "en": {
                "problem": [
                    "I opened a request {days} days ago and nobody has contacted me",
                    "I waited on hold for forty minutes and no one answered",
                    "my message in the chat has gone unanswered for days",
                    "I was promised a call back from a specialist and it never came",
                    "I have sent several e-mails and received no reply at all",
                    "after reporting the issue I heard nothing more, chasing did not help",
                    "you said it would be handled within 48 hours, a week later still nothing",
                ],
                "detail": [
                    "request number {order}",
                    "I have chased it {count} times",
                    "every time I have to explain everything again",
                    "all I got was an automatic reply",
                ],
            },
        },
    ),
    "service-promise-broken": (
        "service-quality",
        3,
        {
            "zh": {
                "problem": [
                    "办理的时候说好赠送的流量包到现在都没给",
                    "业务员承诺的优惠活动实际上根本没有",
                    "说好三天内上门安装，结果拖了两个星期",
                    "客服答应给我补偿{amount}元，后来就不认账了",
                    "当初承诺可以随时免费取消，现在却要收违约金",
                    "销售口头保证的价格和合同上写的不一样",
                    "答应给我回电话解决，结果就没有然后了",
                ],
                "detail": [
                    "当时的聊天记录我都截图了",
                    "办理日期是{date}",
                    "承诺的人是营业厅的{staff}号",
                    "我就是因为这个承诺才办的",
                ],
            },
            "en": {
                "problem": [
                    "the free data bundle I was promised when signing up never arrived",
                    "the discount your sales rep promised turned out not to exist",
                    "installation was promised within three days and took two weeks",
                    "the agent agreed to compensate me {amount} yuan and then denied it",
                    "I was told I could cancel any time for free, now you want a cancellation fee",
                    "the price the salesman guaranteed is not the one in the contract",
                    "someone promised to call me back with a solution and never did",
                ],
                "detail": [
                    "I have screenshots of the chat",
                    "I signed up on {date_en}",
                    "it was staff member {staff} who promised it",
                    "that promise was the only reason I signed",
                ],
            },
        },
    ),
    "product-fault": (
        "product-function",
        3,
        {
            "zh": {
                "problem": [
                    "点击支付按钮没有任何反应",
                    "上传头像一直提示失败，换了几张图片都不行",
                    "搜索功能搜不出任何结果，明明有这个商品",
                    "消息通知完全收不到，设置里已经打开了",
                    "优惠券在结算页面用不了，显示系统错误",
                    "导出账单的功能点了以后下载的是空文件",
                    "定位功能一直显示在别的城市，修改也没用",
                ],
                "detail": [
                    "手机是{phone}，已经是最新版本",
                    "卸载重装也试过了",
                    "错误代码是E{code}",
                    "换了网络也是一样",
                ],
            },
            "en": {
                "problem": [
                    "the pay button does nothing when I tap it",
                    "uploading a profile picture always fails whatever image I use",
                    "search returns nothing even for products I know you sell",
                    "I never get any notifications although they are switched on",
                    "the coupon cannot be applied at checkout, it shows a system error",
                    "exporting my statement downloads an empty file",
                    "the location feature keeps putting me in another city",
                ],
                "detail": [
                    "I am on a {phone} with the latest version",
                    "I already reinstalled it",
                    "the error code is E{code}",
                    "same on wifi and mobile data",
                ],
            },
        },
    ),
    "product-usability": (
        "product-function",
        4,
        {
            "zh": {
                "problem": [
                    "新版界面改得太复杂了，找半天都找不到发票入口",
                    "注销账号的入口藏得太深，根本找不到在哪",
                    "字体太小了，老人家根本看不清",
                    "操作步骤太繁琐，改个地址要点七八下",
                    "设置菜单的名称看不懂，不知道该点哪个",
                    "每次打开都要弹好几个广告，关都关不掉",
                    "没有说明也没有引导，第一次用完全不会",
                ],
                "detail": [
                    "我父母都说不会用",
                    "希望能恢复以前的版本",
                    "问了客服也说不清楚在哪",
                    "建议增加一个帮助页面",
                ],
            },
            "en": {
                "problem": [
                    "the new layout is so confusing I cannot find where to get an invoice",
                    "the option to close my account is hidden somewhere I cannot find",
                    "the text is far too small for older people to read",
                    "changing my address takes seven or eight taps, it is tedious",
                    "the menu labels make no sense, I do not know which one to choose",
                    "every time I open it several adverts pop up that I cannot close",
                    "there is no guide at all, a first-time user has no idea what to do",
                ],
                "detail": [
                    "my parents cannot use it at all",
                    "please bring back the old design",
                    "even your support could not tell me where it is",
                    "a simple help page would do",
                ],
            },
        },
    ),
    "product-app-crash": (
        "product-function",
        3,
        {
            "zh": {
                "problem": [
                    "应用一打开就闪退，根本进不去",
                    "更新以后APP一直白屏，什么都不显示",
                    "看视频看到一半程序就自己退出了",
                    "点进订单页面整个软件就卡死了",
                    "客户端频繁崩溃，一天要重启好多次",
                    "升级到新版后启动就报错然后自动关闭",
                    "刷到首页第二屏app就直接闪没了",
                ],
                "detail": [
                    "手机型号{phone}",
                    "版本号是{version}",
                    "清了缓存也没用",
                    "旧版本的时候一直好好的",
                ],
            },
            "en": {
                "problem": [
                    "the app crashes as soon as I open it",
                    "since the update the app only shows a white screen",
                    "the app quits by itself halfway through a video",
                    "the whole app freezes when I open my orders",
                    "it keeps crashing, I have to restart it many times a day",
                    "after upgrading it shows an error on launch and closes",
                    "scrolling to the second page of the home screen makes it shut down",
                ],
                "detail": [
                    "my phone is a {phone}",
                    "version {version}",
                    "clearing the cache did not help",
                    "the previous version worked fine",
                ],
            },
        },
    ),
    "billing-extra-charges": (
        "billing",
        2,
        {
            "zh": {
                "problem": [
                    "这个月话费比平时多了{amount}元，我根本没怎么用",
                    "同一笔订单被扣了两次钱",
                    "账单上出现了一笔莫名其妙的费用",
                    "流量明明没用超，却收了超出流量费",
                    "自动续费的金额比说好的高",
                    "银行卡被重复扣款{amount}元",
                    "国际漫游费算得不对，我根本没出国",
                ],
                "detail": [
                    "扣费时间是{date}",
                    "银行流水可以证明",
                    "订单号{order}",
                    "以前每个月都是固定的",
                ],
            },
            "en": {
                "problem": [
                    "my bill this month is {amount} yuan higher although I barely used anything",
                    "I was charged twice for the same order",
                    "there is a mysterious fee on my bill",
                    "I was billed for extra data though I stayed within my allowance",
                    "the auto-renewal took more than the agreed price",
                    "my card was debited {amount} yuan twice",
                    "I was billed roaming charges but I never left the country",
                ],
                "detail": [
                    "the charge was on {date_en}",
                    "my bank statement shows it",
                    "order {order}",
                    "it has always been a fixed amount before",
                ],
            },
        },
    ),
    "billing-refund-difficulty": (
        "billing",
        2,
        {
            "zh": {
                "problem": [
                    "申请退款{days}天了钱还没到账",
                    "退货已经签收了，退款却一直显示处理中",
                    "客服一直推脱，就是不给我退钱",
                    "退款被驳回了，也没有说明原因",
                    "说好原路退回，结果退到了一个我不用的账户",
                    "取消订单以后押金一直没有退回来",
                    "只退了一部分，还差{amount}元没退",
                ],
                "detail": [
                    "订单号{order}",
                    "退货的快递单号我有",
                    "申请时间是{date}",
                    "每次问都说再等等",
                ],
            },
            "en": {
                "problem": [
                    "I asked for my money back {days} days ago and it still has not arrived",
                    "you received my return but the money is still 'processing'",
                    "your agents keep making excuses and will not give my money back",
                    "my refund was rejected without any reason",
                    "the money was supposed to go back to my card but went to an account I do not use",
                    "I cancelled the order and the deposit was never returned",
                    "only part came back, {amount} yuan is still missing",
                ],
                "detail": [
                    "order number {order}",
                    "I have the tracking number of the return",
                    "I requested it on {date_en}",
                    "each time I am told to wait a bit longer",
                ],
            },
        },
    ),
    "billing-unclear-plan": (
        "billing",
        4,
        {
            "zh": {
                "problem": [
                    "我的套餐到底包含多少流量，客服说的和APP上显示的不一样",
                    "资费说明写得太模糊，看不懂怎么收费",
                    "套餐升级以后每月月租是多少没人说得清",
                    "合约期到底是一年还是两年，说法前后矛盾",
                    "不知道现在用的是哪个套餐，页面上也查不到",
                    "宣传说不限量，结果用了一点就限速，套餐规则没写清楚",
                    "家庭共享套餐的副卡怎么计费完全不明白",
                ],
                "detail": [
                    "办理的时候没有人解释",
                    "我想知道具体的收费标准",
                    "问了三个客服三种说法",
                    "合同里也没写",
                ],
            },
            "en": {
                "problem": [
                    "how much data my plan includes differs between what the agent said and the app",
                    "the tariff description is so vague I cannot tell how I am charged",
                    "nobody can tell me the monthly fee after the plan upgrade",
                    "is the contract one year or two, I keep getting different answers",
                    "I do not know which plan I am on and cannot find it anywhere",
                    "it was advertised as unlimited but gets throttled, the plan rules are unclear",
                    "I do not understand how the extra SIM on the family plan is billed",
                ],
                "detail": [
                    "nobody explained it when I signed",
                    "I just want the exact prices",
                    "three agents gave me three answers",
                    "the contract does not say either",
                ],
            },
        },
    ),
    "billing-unsubscribed-service": (
        "billing",
        2,
        {
            "zh": {
                "problem": [
                    "莫名其妙被开通了一个彩铃业务，每月扣{amount}元",
                    "我从来没有订购过这个会员，却一直在扣钱",
                    "账单里有一项增值服务，我根本不知道是什么",
                    "手机被默认开通了视频包，没有经过我同意",
                    "退订了的业务还在继续收费",
                    "被捆绑了一个保险服务，我完全不知情",
                    "短信订阅的服务我没点过，已经扣了好几个月",
                ],
                "detail": [
                    "要求查清楚是谁给我开通的",
                    "已经扣了{count}个月",
                    "我没有收到过任何确认短信",
                    "请把扣的钱全部退回",
                ],
            },
            "en": {
                "problem": [
                    "a ringtone service was switched on without asking me and costs {amount} yuan a month",
                    "I never subscribed to this membership yet you keep taking money",
                    "there is a value-added service on my bill I know nothing about",
                    "a video pack was activated on my number without my consent",
                    "a service I cancelled is still being billed",
                    "an insurance add-on was bundled in without telling me",
                    "I am paying for an SMS subscription I never signed up for",
                ],
                "detail": [
                    "I want to know who activated it",
                    "it has been going on for {count} months",
                    "I never received any confirmation",
                    "I want every cent back",
                ],
            },
        },
    ),
    "network-no-signal": (
        "network-quality",
        2,
        {
            "zh": {
                "problem": [
                    "家里手机完全没有信号，电话打不出去",
                    "小区里信号一格都没有，已经好几天了",
                    "手机一直显示无服务，换了卡槽也不行",
                    "在办公室里接不到电话，别人说我关机",
                    "地下车库和电梯里一点信号都没有",
                    "最近信号时有时无，打电话说两句就断",
                    "搬到新家以后手机基本收不到信号",
                ],
                "detail": [
                    "地址是{place}",
                    "邻居用你们的卡也一样",
                    "同一个地方别家的卡是正常的",
                    "已经影响工作了",
                ],
            },
            "en": {
                "problem": [
                    "there is no mobile signal at all at my home, I cannot make calls",
                    "not a single bar of reception in our estate for several days",
                    "my phone keeps saying no service, even in the other SIM slot",
                    "I cannot receive calls in my office, people think my phone is off",
                    "zero coverage in the car park and the lift",
                    "reception comes and goes, calls drop after a few words",
                    "since moving house my phone barely gets any coverage",
                ],
                "detail": [
                    "the address is {place_en}",
                    "my neighbours on your network have the same problem",
                    "other operators work fine in the same spot",
                    "it is affecting my work",
                ],
            },
        },
    ),
    "network-slow": (
        "network-quality",
        3,
        {
            "zh": {
                "problem": [
                    "网速特别慢，网页半天都打不开",
                    "晚上一到八点以后网就卡得不行",
                    "办的是千兆，测速只有几十兆",
                    "看视频一直在缓冲，根本没法看",
                    "打游戏延迟好几百，一卡一卡的",
                    "4G信号满格但是刷不出东西",
                    "下载速度慢得像十年前",
                ],
                "detail": [
                    "测速截图我可以发给你们",
                    "路由器已经重启过了",
                    "地址是{place}",
                    "以前不是这样的",
                ],
            },
            "en": {
                "problem": [
                    "the internet is extremely slow, pages take ages to load",
                    "every evening after eight the connection crawls",
                    "I pay for gigabit and the speed test shows a few dozen megabits",
                    "videos buffer constantly, they are unwatchable",
                    "my game lag is hundreds of milliseconds",
                    "full bars of 4G but nothing loads",
                    "downloads are as slow as ten years ago",
                ],
                "detail": [
                    "I can send you the speed test screenshots",
                    "I already restarted the router",
                    "the address is {place_en}",
                    "it used to be fine",
                ],
            },
        },
    ),
    "network-broadband-outage": (
        "network-quality",
        2,
        {
            "zh": {
                "problem": [
                    "家里的宽带断了{days}天了，一直上不了网",
                    "光猫的灯一直闪红，网络完全连不上",
                    "从周一开始家里就没网了，报修也没人来",
                    "整栋楼的宽带都断了，说是线路故障",
                    "宽带时不时就掉线，一天断好几次",
                    "报修以后说修好了，实际上还是连不上网",
                    "装好的光纤第二天就不能用了",
                ],
                "detail": [
                    "宽带账号{order}",
                    "在家办公完全受影响",
                    "孩子上网课都上不了",
                    "报修单号{order}",
                ],
            },
            "en": {
                "problem": [
                    "our home broadband has been down for {days} days",
                    "the modem light keeps blinking red and nothing connects",
                    "we have had no internet at home since Monday and no engineer came",
                    "the whole building lost its fixed line connection, they said a cable fault",
                    "the line drops several times a day",
                    "you said the fault was fixed but I still cannot get online",
                    "the fibre you installed stopped working the next day",
                ],
                "detail": [
                    "account {order}",
                    "I work from home and cannot work",
                    "my child cannot attend online classes",
                    "the repair ticket is {order}",
                ],
            },
        },
    ),
    "hardware-defect": (
        "hardware-repair",
        3,
        {
            "zh": {
                "problem": [
                    "新买的手机用了一周屏幕就出现绿线",
                    "路由器用了没多久就自动重启，根本不稳定",
                    "电池鼓包了，后盖都被顶起来了",
                    "机顶盒开机以后就黑屏，遥控器也没反应",
                    "耳机左边完全没有声音",
                    "充电器插上去以后手机发烫，充不进电",
                    "手表的触摸屏失灵，点哪里都没反应",
                ],
                "detail": [
                    "购买日期{date}，还在保修期内",
                    "没有摔过也没有进水",
                    "序列号是{code}",
                    "要求换新",
                ],
            },
            "en": {
                "problem": [
                    "my new phone shows green lines on the screen after one week",
                    "the router keeps rebooting by itself",
                    "the battery has swollen and is pushing the back cover off",
                    "the set-top box shows a black screen and the remote does nothing",
                    "the left earbud produces no sound at all",
                    "the charger makes the phone hot and it does not charge",
                    "the watch's touch screen stopped responding",
                ],
                "detail": [
                    "bought on {date_en}, still under warranty",
                    "never dropped, never wet",
                    "serial number {code}",
                    "I want a replacement",
                ],
            },
        },
    ),
    "hardware-repair-delay": (
        "hardware-repair",
        3,
        {
            "zh": {
                "problem": [
                    "手机送修{days}天了还没修好",
                    "售后说一周修好，现在一个月了还在等配件",
                    "维修进度一直查不到，打电话也说不清",
                    "约好的上门维修师傅没来，也没通知",
                    "寄回去维修的设备到现在都没寄回来",
                    "返修了三次还是同样的问题，一直拖着",
                    "售后网点说要等总部审批，一等就是半个月",
                ],
                "detail": [
                    "维修单号{order}",
                    "没有备用机，生活很不方便",
                    "送修时间是{date}",
                    "我要求给个准确的时间",
                ],
            },
            "en": {
                "problem": [
                    "my phone has been in for repair for {days} days",
                    "the service centre said one week, a month later they are still waiting for parts",
                    "I cannot find out anything about the repair status",
                    "the technician booked to come to my home never showed up",
                    "the device I sent in for repair has not been sent back",
                    "third repair for the same problem and they keep delaying",
                    "the repair shop says it needs head office approval and it has been two weeks",
                ],
                "detail": [
                    "repair order {order}",
                    "I have no phone in the meantime",
                    "I handed it in on {date_en}",
                    "I want a firm date",
                ],
            },
        },
    ),
    "account-login": (
        "account",
        3,
        {
            "zh": {
                "problem": [
                    "登录的时候一直提示密码错误，重置了也不行",
                    "收不到验证码，没法登录账号",
                    "账号被锁定了，说是异常登录",
                    "换了新手机以后就登不上原来的账号了",
                    "扫码登录一直转圈，进不去",
                    "输入手机号以后提示账号不存在，我明明注册过",
                    "人脸识别一直失败，登录不了",
                ],
                "detail": [
                    "账号是{account}",
                    "已经试了{count}次",
                    "找回密码的页面也打不开",
                    "里面还有余额",
                ],
            },
            "en": {
                "problem": [
                    "it keeps saying wrong password even after I reset it",
                    "the verification code never arrives so I cannot sign in",
                    "my account has been locked for 'unusual activity'",
                    "since changing phones I cannot get into my old account",
                    "the QR code sign-in just spins forever",
                    "it says no account exists for my number but I registered",
                    "face recognition keeps failing so I cannot log on",
                ],
                "detail": [
                    "the account is {account}",
                    "I have tried {count} times",
                    "the password reset page does not load either",
                    "there is still a balance on it",
                ],
            },
        },
    ),
    "account-security": (
        "account",
        2,
        {
            "zh": {
                "problem": [
                    "我的账号被别人盗了，绑定的手机号被改了",
                    "收到陌生设备登录提醒，不是我本人操作",
                    "账户里的余额被人转走了{amount}元",
                    "有人用我的账号下了好几单",
                    "个人信息好像泄露了，一直接到骚扰电话知道我的订单",
                    "支付密码被人修改了，我完全不知道",
                    "账号里的收货地址被改成了别人的",
                ],
                "detail": [
                    "请立刻冻结账号",
                    "我已经报警了",
                    "发生在{date}晚上",
                    "要求查清楚登录记录",
                ],
            },
            "en": {
                "problem": [
                    "my account was hacked and the linked phone number was changed",
                    "I got an alert about a sign-in from a device that is not mine",
                    "{amount} yuan was transferred out of my balance by someone else",
                    "somebody placed several orders using my account",
                    "my personal data seems to have leaked, scam callers know my orders",
                    "my payment PIN was changed without my knowledge",
                    "the delivery address on my account was changed to a stranger's",
                ],
                "detail": [
                    "freeze the account immediately",
                    "I have reported it to the police",
                    "it happened on the night of {date_en}",
                    "I want the sign-in history checked",
                ],
            },
        },
    ),
    "account-virtual-goods": (
        "account",
        3,
        {
            "zh": {
                "problem": [
                    "充值的游戏点券没有到账",
                    "买的会员时长突然没了",
                    "背包里的皮肤和道具全部消失了",
                    "兑换的卡密显示已被使用，我刚买的",
                    "积分被清零了，没有任何通知",
                    "购买的虚拟礼包没有发放到账号",
                    "钻石少了一大半，交易记录里也查不到",
                ],
                "detail": [
                    "充值单号{order}",
                    "金额{amount}元",
                    "角色名是{account}",
                    "截图都保存了",
                ],
            },
            "en": {
                "problem": [
                    "the game credits I topped up never arrived",
                    "the membership time I bought suddenly disappeared",
                    "all the skins and items in my inventory are gone",
                    "the gift card code I just bought says it has already been redeemed",
                    "my points were reset to zero without notice",
                    "the virtual bundle I paid for was never delivered to my account",
                    "more than half my diamonds vanished and the history shows nothing",
                ],
                "detail": [
                    "top-up order {order}",
                    "it cost {amount} yuan",
                    "my character name is {account}",
                    "I kept screenshots",
                ],
            },
        },
    ),
    "order-late-delivery": (
        "order-delivery",
        3,
        {
            "zh": {
                "problem": [
                    "下单{days}天了快递还没到",
                    "物流信息好几天都没有更新",
                    "说好次日达，结果一个星期了还在路上",
                    "快递显示已签收，但是我根本没收到",
                    "商品一直显示待发货，催了也不发",
                    "预约的配送时间过了，快递员一直没出现",
                    "包裹在中转站停了五天不动",
                ],
                "detail": [
                    "订单号{order}",
                    "这是送人的礼物，已经来不及了",
                    "联系快递员电话打不通",
                    "下单时间是{date}",
                ],
            },
            "en": {
                "problem": [
                    "I ordered {days} days ago and the parcel has not arrived",
                    "the tracking has not updated for days",
                    "next-day delivery was promised, a week later it is still in transit",
                    "tracking says delivered but I never received anything",
                    "the item still says awaiting dispatch and chasing does nothing",
                    "the booked delivery slot passed and the courier never came",
                    "the parcel has been sitting at a depot for five days",
                ],
                "detail": [
                    "order number {order}",
                    "it was a present and now it is too late",
                    "the courier's phone is never answered",
                    "I ordered on {date_en}",
                ],
            },
        },
    ),
    "order-wrong-item": (
        "order-delivery",
        3,
        {
            "zh": {
                "problem": [
                    "收到的商品和我买的不是一个型号",
                    "我买的是黑色，寄来的是白色",
                    "少发了一件，订单里是三件只收到两件",
                    "尺码发错了，我要的是L码收到的是S码",
                    "包裹里装的是别人的东西",
                    "买的原装配件，收到的是杂牌",
                    "套装里缺了说明书和充电线",
                ],
                "detail": [
                    "订单号{order}",
                    "开箱视频我有录",
                    "要求换货，运费你们出",
                    "页面上写得很清楚",
                ],
            },
            "en": {
                "problem": [
                    "the item I received is a different model from the one I ordered",
                    "I bought it in black and got white",
                    "one piece is missing, I ordered three and got two",
                    "wrong size, I asked for L and received S",
                    "the parcel contained someone else's things",
                    "I paid for genuine accessories and received a no-name brand",
                    "the set arrived without the manual and the charging cable",
                ],
                "detail": [
                    "order number {order}",
                    "I filmed the unboxing",
                    "I want an exchange at your cost",
                    "the product page was clear",
                ],
            },
        },
    ),
    "order-damaged": (
        "order-delivery",
        3,
        {
            "zh": {
                "problem": [
                    "收到的时候外包装压烂了，里面的东西也碎了",
                    "打开箱子发现屏幕裂了",
                    "买的水果一半都是烂的",
                    "瓷碗碎了好几个，包装太简陋",
                    "家具送到的时候桌腿断了",
                    "电器外壳有很深的划痕和凹陷",
                    "快递送来的时候盒子是湿的，东西泡坏了",
                ],
                "detail": [
                    "照片已经拍好了",
                    "订单号{order}",
                    "快递员让我先签收的",
                    "要求补发或者退款",
                ],
            },
            "en": {
                "problem": [
                    "the box arrived crushed and the contents were broken",
                    "I opened it and the screen was cracked",
                    "half the fruit I bought was rotten",
                    "several bowls were smashed, the packing was flimsy",
                    "the table arrived with a broken leg",
                    "the appliance has deep scratches and a dent",
                    "the box was soaked when it came and the goods were ruined",
                ],
                "detail": [
                    "I have photos",
                    "order number {order}",
                    "the courier made me sign first",
                    "send a new one or refund me",
                ],
            },
        },
    ),
    "other": (
        "other",
        4,
        {
            "zh": {
                "problem": [
                    "你们的宣传短信太多了，能不能少发一点",
                    "营业厅门口的停车位总是被占",
                    "建议在周末延长营业时间",
                    "想咨询一下你们的发票抬头怎么修改",
                    "公众号推送的文章有错别字",
                    "希望增加更多的线下网点",
                    "会员日的活动规则能不能提前公布",
                ],
                "detail": [
                    "只是一点建议",
                    "希望你们重视",
                    "不着急，有空回复就行",
                    "谢谢",
                ],
            },
            "en": {
                "problem": [
                    "you send far too many marketing texts",
                    "the parking in front of your store is always taken",
                    "please open longer at weekends",
                    "how do I change the company name on my invoices",
                    "the article in your newsletter had typos",
                    "I would like more physical stores",
                    "please publish the members' day rules earlier",
                ],
                "detail": [
                    "just a suggestion",
                    "hope you take it on board",
                    "no rush",
                    "thanks",
                ],
            },
        },
    ),
}

OPENINGS = {
    "zh": ["", "", "你好，", "您好，", "我要投诉，", "反映一个问题：", "客服你好，", "实在忍不了了，"],
    "en": ["", "", "Hello, ", "Hi, ", "I want to complain: ", "Dear team, ", "To whom it may concern, "],
}
WANTS = {
    "zh": [
        "",
        "请尽快处理。",
        "希望给个说法。",
        "请给我一个解决方案。",
        "麻烦尽快回复我。",
        "要求赔偿损失。",
        "希望不要再发生。",
    ],
    "en": [
        "",
        "Please sort this out.",
        "I expect an explanation.",
        "Tell me how you will fix it.",
        "Please reply soon.",
        "I want compensation.",
        "Make sure it does not happen again.",
    ],
}
# Urgency raises the priority by one; a legal threat sends the ticket to legal at P1.
URGENT = {
    "zh": ["这已经是第三次投诉了！", "马上给我处理！", "气死我了，", "再不处理我就不用了！"],
    "en": [
        "This is my third complaint!",
        "Deal with it right now!",
        "I am furious.",
        "Fix it today or I leave!",
    ],
}
LEGAL = {
    "zh": ["再不解决我就去12315投诉。", "我会找律师起诉你们。", "我已经向工信部反映了。"],
    "en": ["If this is not solved I will report you to the regulator.", "My lawyer will hear about this."],
}
PLACES = ["朝阳区望京花园3号楼", "浦东新区张江路88弄", "天河区体育西路", "武侯区玉林小区", "西湖区文三路"]
PLACES_EN = ["Wangjing Garden block 3", "88 Zhangjiang Road", "Tiyu West Road", "Yulin estate", "Wensan Road"]
PHONES = ["iPhone 15", "华为Mate 60", "小米14", "OPPO Reno11", "vivo X100", "Redmi K70"]
SUBJECT_CUT = {"zh": 20, "en": 60}

# One matter told in three ways, as a customer who writes again would: (category, language, wordings).
REPHRASINGS: list[tuple[str, str, tuple[str, str, str]]] = [
    (
        "network-broadband-outage",
        "zh",
        (
            "家里宽带断网{days}天了，一直连不上网",
            "从上周开始家里就没网了，光猫亮红灯，到现在还没修好",
            "宽带还是上不了网，报修了也没人上门，已经好多天了",
        ),
    ),
    (
        "network-broadband-outage",
        "en",
        (
            "our broadband has been down for {days} days",
            "still no internet at home, the router light is red and no engineer has come",
            "the fixed line is still dead, I reported the fault days ago",
        ),
    ),
    (
        "network-no-signal",
        "zh",
        (
            "{place}手机没有信号，打不了电话",
            "我住在{place}，家里一格信号都没有，电话经常打不通",
            "{place}这边还是收不到信号，别人打我电话都说无法接通",
        ),
    ),
    (
        "network-no-signal",
        "en",
        (
            "no mobile signal at {place_en}, I cannot make calls",
            "at home in {place_en} I get zero bars, calls do not go through",
            "still no coverage at {place_en}, callers tell me my phone is unreachable",
        ),
    ),
    (
        "network-slow",
        "zh",
        (
            "办的千兆宽带测速只有几十兆",
            "网速远远达不到套餐写的千兆，测出来才五十兆",
            "我的宽带说是千兆，实际速度慢得很，晚上看视频都卡",
        ),
    ),
    (
        "billing-extra-charges",
        "zh",
        (
            "这个月话费多扣了{amount}元",
            "账单上莫名多收了{amount}元，我没有用过额外的服务",
            "上个月的费用比平时高了{amount}块钱，要求说明并退还",
        ),
    ),
    (
        "billing-extra-charges",
        "en",
        (
            "I was overcharged {amount} yuan on this month's bill",
            "my bill shows an extra {amount} yuan I cannot explain",
            "you took {amount} yuan more than usual last month, please refund it",
        ),
    ),
    (
        "billing-refund-difficulty",
        "zh",
        (
            "订单{order}申请退款{days}天了还没到账",
            "退款到现在都没收到，订单号{order}，一直说在处理",
            "{order}这个订单的钱什么时候退给我？等了很久了",
        ),
    ),
    (
        "billing-refund-difficulty",
        "en",
        (
            "the refund for order {order} has not arrived after {days} days",
            "I am still waiting for my money back on {order}, it keeps saying processing",
            "when will I get the refund for order {order}? it has been ages",
        ),
    ),
    (
        "billing-unsubscribed-service",
        "zh",
        (
            "我没有订购过彩铃业务，却每个月扣{amount}元",
            "莫名其妙被开通了彩铃，每月扣钱，我从来没办过",
            "彩铃不是我开的，要求取消并退还这几个月扣的{amount}元月费",
        ),
    ),
    (
        "billing-unsubscribed-service",
        "en",
        (
            "I never ordered the ringtone service but pay {amount} yuan a month for it",
            "a caller-tune service I never asked for is billed every month",
            "cancel the ringtone add-on I did not sign up for and refund the {amount} yuan fees",
        ),
    ),
    (
        "product-app-crash",
        "zh",
        (
            "更新到{version}以后应用一打开就闪退",
            "APP升级之后就打不开了，点开马上退出",
            "新版本还是闪退，{phone}上根本用不了",
        ),
    ),
    (
        "product-app-crash",
        "en",
        (
            "since updating to {version} the app crashes on launch",
            "after the upgrade the app closes the moment I open it",
            "the new version still crashes on my {phone}, it is unusable",
        ),
    ),
    (
        "product-fault",
        "zh",
        (
            "优惠券在结算时用不了，一直提示系统错误",
            "结算页面的券怎么都用不上，报错E{code}",
            "下单的时候优惠券无法使用，系统出错",
        ),
    ),
    (
        "product-fault",
        "en",
        (
            "the coupon cannot be applied at checkout, system error",
            "checkout refuses my voucher with error E{code}",
            "I cannot use my discount code when paying, it errors out",
        ),
    ),
    (
        "product-usability",
        "zh",
        (
            "新版界面找不到开发票的地方",
            "改版以后发票入口不见了，找了半天",
            "想开发票但是新界面里根本找不到按钮",
        ),
    ),
    (
        "service-attitude",
        "zh",
        (
            "{staff}号客服态度很差，还挂我电话",
            "工号{staff}的客服对我大呼小叫，说了两句就把电话挂了",
            "投诉{staff}号接线员，服务态度恶劣，直接挂断",
        ),
    ),
    (
        "service-attitude",
        "en",
        (
            "agent {staff} was rude to me and hung up",
            "the hotline agent with number {staff} shouted at me and ended the call",
            "I am complaining about staff member {staff}, who was rude and cut me off",
        ),
    ),
    (
        "service-response-slow",
        "zh",
        (
            "工单{order}提交{days}天了没人联系我",
            "我的问题反映了很多天，工单{order}一直没人处理",
            "{order}这个工单到现在都没有回复，也没人打电话给我",
        ),
    ),
    (
        "service-response-slow",
        "en",
        (
            "request {order} was opened {days} days ago and nobody contacted me",
            "nobody has dealt with request {order} for days",
            "still no reply and no call about request {order}",
        ),
    ),
    (
        "service-promise-broken",
        "zh",
        (
            "办理时承诺赠送的流量包一直没到账",
            "说好送的流量到现在都没有给我",
            "当初营业员说办套餐送流量，现在流量在哪里？",
        ),
    ),
    (
        "hardware-defect",
        "zh",
        (
            "{date}买的手机屏幕出现绿线",
            "新手机用了没几天，屏幕上有几条绿色的线",
            "手机屏幕有绿线，买了才一周，要求换新",
        ),
    ),
    (
        "hardware-defect",
        "en",
        (
            "the phone I bought on {date_en} shows green lines on the screen",
            "my new handset has green stripes across the display after a few days",
            "there are green lines on the screen of a one-week-old phone, I want a new one",
        ),
    ),
    (
        "hardware-repair-delay",
        "zh",
        (
            "维修单{order}送修{days}天还没修好",
            "手机送去维修很久了，单号{order}，一直说等配件",
            "{order}的维修到底什么时候能好？拖太久了",
        ),
    ),
    (
        "hardware-repair-delay",
        "en",
        (
            "repair {order} has taken {days} days so far",
            "my phone has been at the repair centre for ages, job {order}, waiting for parts",
            "when will repair {order} be done? it is taking far too long",
        ),
    ),
    (
        "account-login",
        "zh",
        (
            "收不到验证码，账号{account}登录不了",
            "登录{account}的时候短信验证码一直不来",
            "还是收不到登录验证码，{account}这个账号用不了",
        ),
    ),
    (
        "account-login",
        "en",
        (
            "no verification code arrives so I cannot sign in to {account}",
            "the SMS code for logging into {account} never comes",
            "still no login code for account {account}",
        ),
    ),
    (
        "account-security",
        "zh",
        (
            "账号被盗，余额被转走{amount}元",
            "有人登录了我的账户，把里面的{amount}元转走了",
            "我的账户被别人盗用了，少了{amount}块钱，请冻结并追回",
        ),
    ),
    (
        "account-security",
        "en",
        (
            "my account was hacked and {amount} yuan was taken",
            "someone logged into my account and moved {amount} yuan out",
            "a stranger used my account and {amount} yuan is gone, freeze it",
        ),
    ),
    (
        "account-virtual-goods",
        "zh",
        (
            "充值{amount}元的游戏点券没到账，单号{order}",
            "我充了{amount}块钱点券，账号里没有，订单{order}",
            "订单{order}付了钱但是点券一直没有到账",
        ),
    ),
    (
        "account-virtual-goods",
        "en",
        (
            "the {amount} yuan of game credits I bought never arrived, order {order}",
            "I paid {amount} yuan for credits and my account shows none, order {order}",
            "order {order} was paid but the credits are still missing",
        ),
    ),
    (
        "order-late-delivery",
        "zh",
        (
            "订单{order}下单{days}天了快递还没到",
            "我的包裹一直没送到，订单号{order}，物流也不更新",
            "{order}这单到底什么时候发货到货？等太久了",
        ),
    ),
    (
        "order-late-delivery",
        "en",
        (
            "order {order} was placed {days} days ago and has not arrived",
            "my parcel for {order} never came and tracking is stuck",
            "where is order {order}? I have been waiting far too long",
        ),
    ),
    (
        "order-wrong-item",
        "zh",
        (
            "订单{order}买的黑色发来的是白色",
            "收到的颜色不对，我下单的是黑色，订单{order}",
            "{order}发错颜色了，要求换成黑色的",
        ),
    ),
    (
        "order-wrong-item",
        "en",
        (
            "order {order}: I bought black and received white",
            "wrong colour delivered for {order}, I ordered black",
            "please exchange the white one you sent for the black I ordered, {order}",
        ),
    ),
    (
        "order-damaged",
        "zh",
        (
            "订单{order}收到时屏幕已经碎了",
            "打开快递发现显示器屏幕裂了，订单{order}",
            "{order}送到的东西屏幕是坏的，要求退换",
        ),
    ),
    (
        "order-damaged",
        "en",
        (
            "order {order} arrived with a cracked screen",
            "I unpacked {order} and the display was broken",
            "the monitor from order {order} came smashed, replace it",
        ),
    ),
]
AGAIN = {
    "zh": ["", "我上次已经反映过了，", "第二次联系你们，", "之前投诉过，"],
    "en": ["", "I already reported this: ", "Writing again: ", "Following up: "],
}


def _specifics(rng: random.Random) -> dict[str, str]:
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    return {
        "order": f"{rng.choice(['DD', 'SO', 'WX', ''])}{rng.randint(10**7, 10**9)}",
        "amount": str(rng.choice([19, 30, 48, 58, 99, 128, 199, 260, 399, 1200])),
        "days": str(rng.randint(3, 20)),
        "count": str(rng.randint(2, 6)),
        "date": f"{month}月{day}日",
        "date_en": f"{day} {['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][month - 1]}",
        "staff": str(rng.randint(1000, 9999)),
        "code": str(rng.randint(100, 99999)),
        "version": f"{rng.randint(5, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "phone": rng.choice(PHONES),
        "place": rng.choice(PLACES),
        "place_en": rng.choice(PLACES_EN),
        "account": f"{rng.choice(['小鱼', 'sky', 'lucky', '阿明', 'tom'])}{rng.randint(10, 9999)}",
    }


def _compose(rng: random.Random, slug: str, language: str, problem: str, spec: dict[str, str]) -> dict:
    parent, priority, parts = CATEGORIES[slug]
    team = TEAM_OF_TOP[parent]
    part = parts[language]
    sep = "，" if language == "zh" else ", "
    end = "。" if language == "zh" else ". "
    detail = rng.choice(part["detail"])
    body = rng.choice(OPENINGS[language]) + problem.format(**spec) + sep + detail.format(**spec) + end
    mood = rng.random()
    if mood < 0.08:
        body += rng.choice(LEGAL[language])
        team, priority = "legal", 1
    elif mood < 0.25:
        body += rng.choice(URGENT[language])
        priority = max(1, priority - 1)
    body = (body + (" " if language == "en" else "") + rng.choice(WANTS[language])).strip()
    if language == "en":
        body = body[0].upper() + body[1:]
    clause = problem.format(**spec).replace("，", ",").split(",")[0]
    subject = clause[: SUBJECT_CUT[language]].rstrip(" ，,")
    if language == "en":
        subject = subject[0].upper() + subject[1:]
    return {
        "language": language,
        "subject": subject,
        "description": body,
        "category": slug,
        "parent": parent,
        "team": team,
        "priority": priority,
    }


def tickets(rng: random.Random, per_category: int = 28) -> list[dict]:
    rows = []
    for slug, (_parent, _priority, parts) in CATEGORIES.items():
        for index in range(per_category):
            language = "zh" if index % 5 < 3 else "en"
            problems = parts[language]["problem"]
            held_out = index % 4 == 3
            # Test texts word the problem in one of the last two ways; training texts in the others.
            problem = rng.choice(problems[-2:] if held_out else problems[:-2])
            row = _compose(rng, slug, language, problem, _specifics(rng))
            row["split"] = "test" if held_out else "train"
            rows.append(row)
    rng.shuffle(rows)
    return rows


def pairs(rng: random.Random) -> list[dict]:
    """Every two wordings of one matter (a repeat), and as many pairs of two matters of one customer."""
    end = {"zh": "。", "en": "."}

    def text(language: str, wording: str, spec: dict[str, str], again: bool) -> str:
        body = wording.format(**spec)
        prefix = rng.choice(AGAIN[language]) if again else ""
        subject = body.replace("，", ",").split(",")[0][: SUBJECT_CUT[language]]
        return f"{subject}\n{prefix}{body}{end[language]} {rng.choice(WANTS[language])}".strip()

    rows = []
    for category, language, wordings in REPHRASINGS:
        spec = _specifics(rng)
        for first, second in ((0, 1), (0, 2), (1, 2)):
            rows.append(
                {
                    "language": language,
                    "a": text(language, wordings[first], spec, again=False),
                    "b": text(language, wordings[second], spec, again=True),
                    "category_a": category,
                    "category_b": category,
                    "same_matter": True,
                    "kind": "rephrased",
                }
            )
    positives = len(rows)
    parent = {slug: CATEGORIES[slug][0] for slug in CATEGORIES}
    for index in range(positives + 10):
        # Half of the different matters share the parent category (the hard ones).
        sibling = index % 2 == 0
        cat_a, lang, words_a = rng.choice(REPHRASINGS)
        others = [
            (cat, words)
            for cat, language, words in REPHRASINGS
            if language == lang and words != words_a and (parent[cat] == parent[cat_a]) == sibling
        ]
        if not others:
            continue
        cat_b, words_b = rng.choice(others)
        spec = _specifics(rng)
        rows.append(
            {
                "language": lang,
                "a": text(lang, rng.choice(words_a), spec, again=False),
                "b": text(lang, rng.choice(words_b), _specifics(rng), again=rng.random() < 0.3),
                "category_a": cat_a,
                "category_b": cat_b,
                "same_matter": False,
                "kind": "same parent category" if sibling else "different category",
            }
        )
    rng.shuffle(rows)
    return rows


def main() -> None:
    rng = random.Random(22)
    with (HERE / "eval_tickets.jsonl").open("w", encoding="utf-8") as out:
        for row in tickets(rng):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (HERE / "eval_pairs.jsonl").open("w", encoding="utf-8") as out:
        for row in pairs(rng):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
