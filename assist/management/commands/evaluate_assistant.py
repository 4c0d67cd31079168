from django.core.management.base import BaseCommand

from assist import evaluation


class Command(BaseCommand):
    help = (
        "Measure the assistant on the shipped evaluation set (assist/data): accuracy per field and macro-F1 "
        "against the keyword rules, repeat precision/recall against the old bigram Dice."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = evaluation.evaluate()
        out = self.stdout.write
        out(f"Evaluation set: {report.train_size} training texts, {report.test_size} held-out texts")
        out(f"{'':24}{'assistant':>12}{'keyword rules':>16}{'rules, all texts':>19}")
        labels = [
            ("category", "category (leaf)"),
            ("parent_category", "category (top level)"),
            ("category_macro_f1", "category macro-F1"),
            ("team", "team"),
            ("priority", "priority"),
        ]
        for key, label in labels:
            out(
                f"{label:24}{report.assistant[key]:>12.1%}{report.rules[key]:>16.1%}{report.rules_all[key]:>19.1%}"
            )
        out("Repeat pairs (same customer: same matter or not):")
        for name, figures in (
            ("assistant similarity", report.repeats_new),
            ("old bigram Dice", report.repeats_dice),
        ):
            out(
                f"  {name:22} threshold {figures.threshold:.3f}: "
                f"precision {figures.precision:.3f}, recall {figures.recall:.3f}"
            )
        best = report.repeats_new_best
        out(
            f"  best threshold at precision >= 0.9: {best.threshold:.3f} "
            f"(precision {best.precision:.3f}, recall {best.recall:.3f})"
        )
        out(f"Training {report.train_seconds:.1f} s; one suggestion {report.suggest_ms:.1f} ms")
