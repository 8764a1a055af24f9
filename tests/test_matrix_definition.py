"""The matrix itself: derived from copier.yml and really pairwise."""

import itertools

from tests import matrix


def test_every_choice_question_is_a_dimension() -> None:
    names = {dimension.name for dimension in matrix.dimensions()}
    expected = {
        name
        for name, spec in matrix.questions().items()
        if spec.get("when") is not False and ("choices" in spec or spec.get("type") == "bool")
    }
    assert names == expected
    assert {"python_version", "database", "license"} <= names


def test_pairwise_covers_every_pair_and_starts_with_the_defaults() -> None:
    """Every pair of the questions that shape the code; the file-only questions are the
    fast tier's to pair (every row there is rendered and its files validated)."""
    rows = matrix.pairwise()
    assert rows[0] == matrix.defaults()
    assert set(matrix.FILE_ONLY_QUESTIONS) <= {d.name for d in matrix.dimensions()}
    shaping = [d for d in matrix.dimensions() if d.name not in matrix.FILE_ONLY_QUESTIONS]
    for first, second in itertools.combinations(shaping, 2):
        for a, b in itertools.product(first.values, second.values):
            assert any(row[first.name] == a and row[second.name] == b for row in rows), (
                first.name,
                a,
                second.name,
                b,
            )
    assert len(rows) < len(matrix.all_combinations()) or len(matrix.dimensions()) <= 2


def test_every_value_appears_in_the_full_tier() -> None:
    rows = matrix.pairwise()
    for dimension in matrix.dimensions():
        assert {row[dimension.name] for row in rows} == set(dimension.values)


def test_the_fast_tier_covers_every_pair_and_the_delivery_questions_triples() -> None:
    rows = matrix.fast_tier_rows()
    assert rows[0] == matrix.defaults()
    dimensions = {dimension.name: dimension for dimension in matrix.dimensions()}
    assert set(matrix.DELIVERY_QUESTIONS) <= set(dimensions), (
        "DELIVERY_QUESTIONS names a question copier.yml lacks"
    )
    groups = list(itertools.combinations(dimensions.values(), 2))
    groups += list(
        itertools.combinations([dimensions[name] for name in matrix.DELIVERY_QUESTIONS], 3)
    )
    for group in groups:
        for values in itertools.product(*(dimension.values for dimension in group)):
            assert any(
                all(row[d.name] == v for d, v in zip(group, values, strict=True)) for row in rows
            ), values


def test_every_broker_says_what_it_ran_against() -> None:
    """A broker value is tested on a real server or on one the tests start; the run's summary
    never lets Tansu pass for Apache Kafka."""
    (broker,) = (d for d in matrix.dimensions() if d.name == "message_broker")
    brokers = {value for value in broker.values if value != "none"}
    assert brokers == {*matrix.REAL_BROKERS, *matrix.OWN_BROKERS}
    assert matrix.broker_note({"message_broker": "none"}) is None
    assert matrix.broker_note({"message_broker": "rabbitmq"}) == (
        "rabbitmq: a real RabbitMQ server on 127.0.0.1:5672"
    )
    assert matrix.broker_note({"message_broker": "kafka"}) == (
        "kafka: Kafka protocol, tested on Tansu; not Apache Kafka"
    )
