"""How well could *any* extractive method answer score? The oracle ceiling.

Run from the repository root:

    python benchmarks/method_ceiling.py [fixtures/gold.jsonl]

The rules backend can only copy (and lightly rewrite) words of the title and
abstract, while the gold `method` labels are written by hand (LABELLING.md:
what the paper proposes, at most 15 words). Before tuning the heuristic towards
a target it is worth knowing how far extraction can go at all, so for every
gold paper this picks, *by looking at the gold label*, the best answer of two
kinds and scores it with the project's `token_f1`:

- span: any contiguous run of at most 15 whitespace words of the title or of
  the abstract (not across the two);
- sentence: the title or any one abstract sentence, clipped to its first 15
  words;
- own sentence: any run of at most 15 words of the one sentence (or the
  title) that the rules took the method's start from: how far a perfect trim
  of the rules' own choice could go; `elsewhere` counts the papers whose best
  run within one sentence (or the title) lies in another sentence.

Both are upper bounds that no honest rule reaches, because a rule cannot see
the gold. The current `rules` score is printed beside them. Only means per half
(`a-` development, `b-` held out) and over all papers are printed: no paper's
label or prediction is shown, so the held-out half stays unread.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.fixtures import load_fixtures  # noqa: E402
from extractor.rules.summary import extract_spans  # noqa: E402
from extractor.rules.text import split_sentences  # noqa: E402
from extractor.scoring import token_f1, tokens  # noqa: E402

MAX_WORDS = 15  # LABELLING.md's limit


def _f1(common: int, n_pred: int, n_gold: int) -> float:
    if not common:
        return 0.0
    p, r = common / n_pred, common / n_gold
    return 2 * p * r / (p + r)


def best_span(text: str, gold: str) -> float:
    """The best token F1 of any run of at most 15 words of `text`.

    Tokens are counted incrementally per start word, so each of the roughly
    15 x (words) spans costs one word's tokens, not a fresh tokenisation.
    """
    want = Counter(tokens(gold))
    n_gold = sum(want.values())
    word_tokens = [tokens(w) for w in text.split()]
    best = 0.0
    for i in range(len(word_tokens)):
        seen: Counter[str] = Counter()
        common = n_pred = 0
        for toks in word_tokens[i : i + MAX_WORDS]:
            for t in toks:
                seen[t] += 1
                n_pred += 1
                common += seen[t] <= want[t]
            if n_pred:
                best = max(best, _f1(common, n_pred, n_gold))
    return best


def best_sentence(title: str, abstract: str, gold: str) -> float:
    """The best token F1 of the title or one abstract sentence, cut to 15 words."""
    candidates = [title, *(s.text for s in split_sentences(abstract))]
    return max(token_f1(" ".join(c.split()[:MAX_WORDS]), gold) for c in candidates)


def own_sentence(title: str, abstract: str) -> tuple[list[str], int]:
    """The title and the abstract's sentences, and which of them the rules'
    method starts in."""
    where = extract_spans(title, abstract).method
    sentences = split_sentences(abstract)
    texts = [title, *(s.text for s in sentences)]
    if where.source == "title":
        return texts, 0
    return texts, next((i for i, s in enumerate(sentences, 1) if s.start <= where.start < s.end), 0)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else ROOT / "fixtures" / "gold.jsonl"
    rows: dict[str, list[tuple[float, ...]]] = {"a": [], "b": [], "all": []}
    for f in load_fixtures(path):
        gold = f.labels["method"]
        texts, own = own_sentence(f.title, f.abstract)
        within = [best_span(text, gold) for text in texts]
        score = (
            max(best_span(f.title, gold), best_span(f.abstract, gold)),
            best_sentence(f.title, f.abstract, gold),
            within[own],
            float(max(within) > within[own]),
            token_f1(extract_spans(f.title, f.abstract).summary.method, gold),
        )
        rows["all"].append(score)
        half = f.id.split("-", 1)[0]
        if half in rows:
            rows[half].append(score)
    print(f"{'half':<5}{'papers':>7}{'span<=15':>10}{'sentence':>10}{'own sentence':>14}"
          f"{'elsewhere':>11}{'rules':>8}")
    for half, scores in rows.items():
        if scores:
            means = [sum(col) / len(scores) for col in zip(*scores, strict=True)]
            spans, sentences, own, elsewhere, rules = means
            print(f"{half:<5}{len(scores):>7}{spans:>10.3f}{sentences:>10.3f}{own:>14.3f}"
                  f"{round(elsewhere * len(scores)):>11}{rules:>8.3f}")


if __name__ == "__main__":
    main()
