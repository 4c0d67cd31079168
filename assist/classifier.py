"""The learnt classifier: TF-IDF over the shared analysis (words and character n-grams), one logistic
regression per field (category, team, priority), probabilities and the words that weighed most.

Pure computation: no database. Training data and saved files are the services' business.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import text

FIELDS = ("category", "team", "priority")
REASONS = 5


def features(raw: str) -> list[str]:
    """Words, Chinese bigrams and English trigrams of one text: what the vectorizer counts."""
    analysis = text.analyse(raw)
    found = list(analysis.terms)
    for word in analysis.words:
        if word.isascii() and len(word) > 3:
            padded = f"<{word}>"
            found.extend(text.GRAM_MARK + padded[i : i + 3] for i in range(len(padded) - 2))
    return found


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    team: str
    priority: int


@dataclass(frozen=True)
class Guess:
    value: Any
    confidence: float


@dataclass(frozen=True)
class Prediction:
    guesses: dict[str, Guess] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    # field -> {label: probability}, for comparing two texts (repeat detection).
    distributions: dict[str, dict[Any, float]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.guesses


EMPTY = Prediction()

_single_threaded = False


def _one_thread() -> None:
    """BLAS and OpenMP on one thread: the matrices are small, and on a busy machine (web workers,
    Celery) their thread pools fight over the cores and make training ten times slower."""
    global _single_threaded
    if not _single_threaded:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
        _single_threaded = True


@dataclass
class Classifier:
    vectorizer: Any
    models: dict[str, Any]

    @classmethod
    def train(cls, examples: Sequence[Example]) -> "Classifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        _one_thread()
        vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=1, max_features=300_000)
        matrix = vectorizer.fit_transform([example.text for example in examples])
        models = {}
        for name in FIELDS:
            labels = [getattr(example, name) for example in examples]
            if len(set(labels)) < 2:
                continue  # nothing to choose between: the field is left to the rules
            model = LogisticRegression(C=20.0, max_iter=2000)
            model.fit(matrix, labels)
            models[name] = model
        return cls(vectorizer=vectorizer, models=models)

    def predict(self, raw: str) -> Prediction:
        return self.predict_many([raw])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        matrix = self.vectorizer.transform(texts)
        found: list[Prediction] = []
        probabilities = {name: model.predict_proba(matrix) for name, model in self.models.items()}
        vocabulary = None
        for row in range(matrix.shape[0]):
            vector = matrix[row]
            if vector.nnz == 0:
                found.append(EMPTY)  # nothing the model knows: no guess rather than the majority class
                continue
            guesses, distributions = {}, {}
            for name, model in self.models.items():
                probs = probabilities[name][row]
                best = int(probs.argmax())
                label = model.classes_[best]
                guesses[name] = Guess(
                    value=label.item() if hasattr(label, "item") else label, confidence=float(probs[best])
                )
                distributions[name] = {
                    (c.item() if hasattr(c, "item") else c): float(p)
                    for c, p in zip(model.classes_, probs, strict=True)
                }
            if vocabulary is None:
                vocabulary = self._vocabulary()
            best_category = (
                int(probabilities["category"][row].argmax()) if "category" in probabilities else None
            )
            found.append(
                Prediction(
                    guesses=guesses,
                    reasons=self._reasons(vector, vocabulary, best_category),
                    distributions=distributions,
                )
            )
        return found

    def _reasons(self, vector: Any, vocabulary: Any, best: int | None) -> tuple[str, ...]:
        """The words that pushed hardest towards the suggested category (bigrams only when no word did)."""
        model = self.models.get("category")
        if model is None or best is None:
            return ()
        coef = model.coef_[best] if model.coef_.shape[0] > 1 else model.coef_[0]
        weighed = sorted(
            ((vector.data[i] * coef[j], vocabulary[j]) for i, j in enumerate(vector.indices)),
            reverse=True,
        )
        words = [term for weight, term in weighed if weight > 0 and not term.startswith(text.GRAM_MARK)]
        grams = [term[1:] for weight, term in weighed if weight > 0 and term.startswith(text.GRAM_MARK)]
        chosen: list[str] = []
        for term in words:
            if term not in chosen:
                chosen.append(term)
        # Character grams only fill in when few words weighed (text the segmenter knows little of).
        for gram in grams:
            gram = gram.strip("<>")
            if len(chosen) >= 3:
                break
            if gram and not any(gram in w or w in gram for w in chosen):
                chosen.append(gram)
        chosen = chosen[:REASONS]
        return tuple(chosen)

    def _vocabulary(self) -> Any:
        # Built once per loaded model: the feature names by column.
        if getattr(self, "_names", None) is None:
            self._names = self.vectorizer.get_feature_names_out()
        return self._names

    def save(self, path: Path) -> int:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"vectorizer": self.vectorizer, "models": self.models}, path, compress=3)
        return path.stat().st_size

    @classmethod
    def load(cls, path: Path) -> "Classifier":
        import joblib

        _one_thread()
        # Files the desk wrote itself under VAR_DIR (train_assistant), never uploaded ones.
        bundle = joblib.load(path)
        return cls(vectorizer=bundle["vectorizer"], models=bundle["models"])


def accuracy(classifier: Classifier, examples: Sequence[Example]) -> dict[str, float]:
    """Accuracy per field and the category's macro-F1 on `examples`."""
    from sklearn.metrics import f1_score

    predictions = classifier.predict_many([example.text for example in examples])
    scores: dict[str, float] = {}
    for name in FIELDS:
        truth = [getattr(example, name) for example in examples]
        guessed = [p.guesses[name].value if name in p.guesses else None for p in predictions]
        scores[name] = (
            sum(t == g for t, g in zip(truth, guessed, strict=True)) / len(examples) if examples else 0.0
        )
        if name == "category":
            scores["category_macro_f1"] = float(
                f1_score([str(t) for t in truth], [str(g) for g in guessed], average="macro", zero_division=0)
            )
    return scores
