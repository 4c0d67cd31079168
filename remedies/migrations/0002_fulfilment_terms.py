from django.db import migrations

# Days each type has to reach the customer once approved (consumer law expects refunds within 7).
# No approval rule is seeded: until the console adds one, a remedy needs no sign-off.
TERMS = {
    "refund": 7,
    "compensation": 7,
    "replacement": 7,
    "reissue": 3,
    "bill_credit": 3,
    "voucher": 3,
}


def seed(apps, schema_editor):
    FulfilmentTerm = apps.get_model("remedies", "FulfilmentTerm")
    for remedy_type, days in TERMS.items():
        FulfilmentTerm.objects.get_or_create(remedy_type=remedy_type, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("remedies", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
