"""Reference data every install needs: the category tree, the root-cause taxonomy, staff groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CATEGORIES = [
    ("service-quality", "服务质量", "Service quality", [
        ("service-attitude", "服务态度", "Staff attitude"),
        ("service-response-slow", "响应慢", "Slow response"),
        ("service-promise-broken", "承诺未兑现", "Promise not kept"),
    ]),
    ("product-function", "产品功能", "Product function", [
        ("product-fault", "功能故障", "Feature not working"),
        ("product-usability", "使用困难", "Hard to use"),
        ("product-app-crash", "应用闪退", "App crashes"),
    ]),
    ("billing", "计费与退款", "Billing & refunds", [
        ("billing-extra-charges", "多扣费", "Extra charges"),
        ("billing-refund-difficulty", "退款困难", "Refund difficulty"),
        ("billing-unclear-plan", "套餐不清楚", "Unclear plan"),
        ("billing-unsubscribed-service", "未订购业务扣费", "Charged for a service not ordered"),
    ]),
    ("network-quality", "网络质量", "Network quality", [
        ("network-no-signal", "无信号", "No signal"),
        ("network-slow", "网速慢", "Slow connection"),
        ("network-broadband-outage", "宽带中断", "Broadband outage"),
    ]),
    ("hardware-repair", "硬件与维修", "Hardware & repair", [
        ("hardware-defect", "设备故障", "Defective device"),
        ("hardware-repair-delay", "维修延误", "Repair delay"),
    ]),
    ("account", "账户", "Account", [
        ("account-login", "无法登录", "Cannot sign in"),
        ("account-security", "账户安全", "Account security"),
        ("account-virtual-goods", "虚拟物品丢失", "Lost virtual goods"),
    ]),
    ("order-delivery", "订单与配送", "Order & delivery", [
        ("order-late-delivery", "配送延迟", "Late delivery"),
        ("order-wrong-item", "商品错发", "Wrong item"),
        ("order-damaged", "商品破损", "Damaged item"),
    ]),
    ("other", "其他", "Other", []),
]

ROOT_CAUSES = [
    ("staff", "staff-error", "员工操作失误", "Staff error"),
    ("staff", "staff-attitude", "服务态度问题", "Staff attitude"),
    ("process", "process-gap", "流程缺陷", "Process gap"),
    ("process", "policy-unclear", "政策说明不清", "Policy not explained"),
    ("product", "software-defect", "软件缺陷", "Software defect"),
    ("product", "hardware-defect", "硬件缺陷", "Hardware defect"),
    ("network", "network-fault", "网络故障", "Network fault"),
    ("billing", "billing-error", "计费错误", "Billing error"),
    ("partner", "third-party", "第三方原因", "Third party"),
    ("logistics", "logistics", "物流原因", "Logistics"),
    ("customer", "customer-misunderstanding", "客户误解", "Customer misunderstanding"),
    ("customer", "no-fault-found", "未发现问题", "No fault found"),
]

AGENT_PERMISSIONS = [
    "view_ticket", "change_ticket", "view_customer", "view_message", "add_message", "view_attachment",
    "view_ticketevent", "view_resolution", "view_category", "view_team", "view_rootcause", "view_kbarticle",
    "view_cannedreply",
]
SUPERVISOR_EXTRA = [
    "view_customer_pii", "change_customer", "add_team", "change_team", "view_teammembership", "add_teammembership",
    "change_teammembership", "delete_teammembership", "add_category", "change_category", "add_rootcause",
    "change_rootcause", "view_routingrule", "add_routingrule", "change_routingrule", "delete_routingrule",
    "add_kbarticle", "change_kbarticle", "delete_kbarticle", "add_cannedreply", "change_cannedreply",
    "delete_cannedreply",
]


def load(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    RootCause = apps.get_model("complaints", "RootCause")
    for position, (slug, zh, en, children) in enumerate(CATEGORIES):
        parent = Category.objects.create(slug=slug, name_zh=zh, name_en=en, position=position * 10)
        for child_position, (child_slug, child_zh, child_en) in enumerate(children):
            Category.objects.create(
                parent=parent, slug=child_slug, name_zh=child_zh, name_en=child_en, position=child_position
            )
    for group, slug, zh, en in ROOT_CAUSES:
        RootCause.objects.create(group=group, slug=slug, name_zh=zh, name_en=en)

    # Permissions are normally made after migrate; the groups need them now.
    app_config = apps.get_app_config("complaints")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    agent_permissions = Permission.objects.filter(content_type__app_label="complaints", codename__in=AGENT_PERMISSIONS)
    agents, _ = Group.objects.get_or_create(name="Agents")
    agents.permissions.add(*agent_permissions)
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *agent_permissions,
        *Permission.objects.filter(content_type__app_label="complaints", codename__in=SUPERVISOR_EXTRA),
        *Permission.objects.filter(content_type__app_label="auth", codename__in=["view_user", "view_group"]),
    )


def unload(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    apps.get_model("complaints", "RootCause").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, unload)]
