"""Example questions drawn from the library: what they prefer, what they leave out."""

from __future__ import annotations

from pathlib import Path

from support import run_citebot

from bot.corpus import Article, Paragraph, Section
from bot.examples import example_questions


def article(article_id: str, title: str, *headings: str) -> Article:
    sections = (Section(), *(Section(path=(h,)) for h in headings))
    paragraphs = tuple(Paragraph(n + 1, 0, 0, section=n + 1) for n in range(len(headings)))
    return Article(article_id, title, "", paragraphs, sections=sections)


def test_questions_first_one_per_article_then_specific_topics_then_titles():
    library = [
        article("a", "Tides", "The moon and the sea", "Spring tides in 2024", "Why it matters"),
        article("b", "Bees", "What is a drone?", "Why it matters"),
        article("c", "Comets", "Where it comes from", "Halley's orbit"),
        article("d", "A short note on rivers"),
    ]

    assert example_questions(library, limit=4) == [
        "What is a drone?",
        "What about spring tides in 2024?",
        "What about Halley's orbit?",
        "What about A short note on rivers?",
    ]


def test_an_empty_library_has_no_examples():
    assert example_questions([]) == []


def test_cli_examples_come_from_the_library_loaded(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "walruses.md").write_text(
        "# Walruses\n\n## How do walruses use their tusks?\n\nTo haul out onto the ice.\n"
    )

    empty = run_citebot("ask", "   ", cwd=tmp_path)
    listed = run_citebot("articles", cwd=tmp_path)

    assert empty.returncode == 2
    assert empty.stderr.strip() == (
        "citebot: Please ask a question: the message was empty. For example: "
        'citebot ask "How do walruses use their tusks?"'
    )
    assert listed.returncode == 0, listed.stderr
    assert 'try: citebot ask "How do walruses use their tusks?"' in listed.stderr
    assert "DeepSeek" not in empty.stderr + listed.stderr


def test_headings_of_common_words_only_are_not_offered():
    library = [
        article("chips", "Chip rules", "Who makes the rules?", "When to Use What?"),
        article("lab", "A lab", "Who founded DeepSeek?"),
    ]

    examples = example_questions(library)

    assert examples[0] == "Who founded DeepSeek?"
    assert not {"Who makes the rules?", "When to Use What?"} & set(examples), examples


def test_a_text_articles_long_first_line_offers_its_lead(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.txt").write_text(
        "DeepSeek, the AI you’ve never heard of that’s winning the race\n\n"
        "DeepSeek, a research lab from China, released an open model.\n"
    )

    listed = run_citebot("articles", cwd=tmp_path)

    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.splitlines()[-1] == 'try: citebot ask "What about DeepSeek?"'
