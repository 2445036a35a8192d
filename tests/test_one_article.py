"""A library of one article, as a fresh clone can run it.

The seed article (`../shared/seed/`, tests/test_found.py) is a news piece that is not
ours to ship, so a clone outside this project's workspace lacks it. This article is
written for the test in the seed's shape: a news piece whose subject is in nearly every
paragraph (so the subject's word weighs almost nothing), whose founder is named as "a
former hedge fund founder" (so "founded" must meet "founder"), with no heading to help.
"""

from __future__ import annotations

import pytest
from support import library_of

from bot.answer import Engine

ARTICLE = """\
Halcyon, the robotics lab nobody was watching, tops the charts

by | Mar 3, 2026 | Industry News

Halcyon, a little-known robotics lab from Portugal, released an open source walking controller that quickly became the most downloaded package on the Robot Hub, leaving the big vendors' controllers behind.

According to a paper written by the lab, the Halcyon controller beats the leading commercial controllers on several balance and terrain benchmarks. It is also much cheaper to run, because it was much cheaper to build.

Ines Moreau, a lecturer at the Technical University of Lisbon, explains that Halcyon focused on careful software rather than expensive hardware, and that sharing its work openly pulled in help from researchers around the world.

A long report published last week goes deeper into Halcyon's history, including how it matched the best American robots after only three months of work and less than $4M, without the newest motors that the big companies buy.

Tomas Okafor, a former hedge fund founder who moved into the robotics research that later became Halcyon, told a Lisbon newspaper that he started the lab out of curiosity rather than to make money. He said the research would never pay for itself and that he did not mind.

When Okafor put together Halcyon's team, he did not hire engineers who had shipped products. He looked for doctoral students from Portugal's best universities who were keen to prove themselves but had never worked in industry.

In 2024, when new trade rules made the best servo motors hard to buy in Europe, Halcyon had to make its controller work on cheaper parts. Out of necessity, the lab rewrote its balance code to need far less torque.

Halcyon's habit of publishing everything has earned it goodwill among robotics researchers, and it has put its larger rivals under pressure to explain what their budgets buy.

Days after the release, the head of a large robot maker said his company would spend more than $2B on walking robots next year. That would pay for a great many Halcyon controllers.
"""


@pytest.fixture(scope="module")
def one_article(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return library_of(tmp_path_factory.mktemp("one"), {"halcyon.txt": ARTICLE})


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who founded Halcyon?", "Tomas Okafor, a former hedge fund founder"),
        ("who foundd halcyon", "Tomas Okafor, a former hedge fund founder"),
        ("What was Okafor's job before Halcyon?", "a former hedge fund founder"),
        ("who did okafor hire for the team", "doctoral students"),
    ],
)
def test_a_one_article_library_answers_from_the_right_paragraph(
    one_article: Engine, question: str, expected: str
) -> None:
    answer = one_article.answer(question)
    assert answer.found
    assert expected in answer.results[0].excerpt


def test_a_one_article_library_refuses_what_it_does_not_cover(one_article: Engine) -> None:
    # Each shares one word with the article at most ("build", "open"), or none.
    for question in (
        "What does the walrus operator do in Python?",
        "How do I build a sourdough starter?",
        "Which ports does the database server open?",
    ):
        assert not one_article.answer(question).found, question
