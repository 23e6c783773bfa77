"""Label selectors behave as kubectl users and Kubernetes' own tests expect."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apimachinery import labels
from apimachinery.errors import BadRequest
from apimachinery.labels import Operator, Requirement, Selector
from apimachinery.meta import LabelSelector, LabelSelectorRequirement

# (selector as written, canonical string kubectl and the apiserver print)
CANONICAL = [
    ("x=a,y=b,z=c", "x=a,y=b,z=c"),
    ("", ""),
    ("x!=a,y=b", "x!=a,y=b"),
    ("x=", "x="),
    ("x= ", "x="),
    ("x=,z= ", "x=,z="),
    ("!x", "!x"),
    ("x>1", "x>1"),
    ("x>1,z<5", "x>1,z<5"),
    ("\rx", "x"),
    ("x=a,a=x", "a=x,x=a"),
    ("foo  in\t (abc)", "foo in (abc)"),
    ("x notin\n (abc)", "x notin (abc)"),
    ("x in (abc,)", "x in (,abc)"),
    ("x in (abc,abc)", "x in (abc)"),
    ("x in ()", "x in ()"),
    ("x in (a,,,,,,)", "x in (,a)"),
    ("x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"),
    ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
    ("notin=in", "notin=in"),
    ("x==a", "x==a"),
    ("this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"),
    ("0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
     "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"),
    # From the seeds and the Kubernetes "Labels and Selectors" page.
    ("environment=production,tier=frontend", "environment=production,tier=frontend"),
    ("environment in (production),tier in (frontend)",
     "environment in (production),tier in (frontend)"),
    ("name in (redis-master, redis-slave)", "name in (redis-master,redis-slave)"),
    ("name=redis-slave, env!=production", "env!=production,name=redis-slave"),
    ("environment in (production, qa)", "environment in (production,qa)"),
    ("tier notin (frontend, backend)", "tier notin (backend,frontend)"),
    ("partition", "partition"),
    ("!partition", "!partition"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_a_valid_selector_prints_its_canonical_form(text: str, canonical: str) -> None:
    assert str(labels.parse(text)) == canonical


@pytest.mark.parametrize("text", [t for t, _ in CANONICAL])
def test_the_canonical_form_parses_back_to_the_same_selector(text: str) -> None:
    selector = labels.parse(text)
    assert labels.parse(str(selector)) == selector


ERRORS = [
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    ("x,,y", "found ',', expected: identifier after ','"),
    (",x,y", "found ',', expected: !, identifier, or 'end of string'"),
    ("a in (xyz),", "found '', expected: identifier after ','"),
    ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
    ("(", "found '(', expected: !, identifier, or 'end of string'"),
    ("x nott in (y)",
     "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
    ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"),
    ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
    ("a in xyz", "unable to parse requirement: found 'xyz' expected: '('"),
    ("x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": "
            "for 'Gt', 'Lt' operators, the value must be an integer"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_a_malformed_selector_is_a_bad_request_worded_like_kubernetes(
        text: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        labels.parse(text)
    assert caught.value.message == message
    assert caught.value.code == 400


def test_an_invalid_key_reports_the_label_key_rules() -> None:
    with pytest.raises(BadRequest) as caught:
        labels.parse("-bad=x")
    assert caught.value.message.startswith(
        'unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist '
        "of alphanumeric characters")


def test_an_invalid_value_names_the_value_and_its_key() -> None:
    with pytest.raises(BadRequest) as caught:
        labels.parse("x=a||y=b")
    assert caught.value.message.startswith(
        'unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label '
        "must be an empty string")


def test_a_too_long_value_says_how_long_a_value_may_be() -> None:
    with pytest.raises(BadRequest, match="must be no more than 63 characters"):
        labels.parse("x=" + "a" * 64)


MATCHES = [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),
    ("x>1", {"x": "0"}, False),
    ("x<1", {"x": "2"}, False),
    ("x>1", {"x": "two"}, False),
    ("x>1", {}, False),
    ("x!=y", {}, True),
    ("x notin (a,b)", {}, True),
    ("x notin (a,b)", {"x": "a"}, False),
    ("x in (a,b)", {"x": "b"}, True),
    ("x in (a,b)", {}, False),
    ("x=", {"x": ""}, True),
    ("x=", {}, False),
    ("x in (a)", {"x": "a"}, True),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
    ("environment in (production),tier in (frontend)",
     {"environment": "production", "tier": "frontend", "component": "redis"}, True),
    ("name in (redis-master, redis-slave)", {"name": "redis-slave"}, True),
    ("name=redis-slave, env!=production", {"name": "redis-slave", "env": "qa"}, True),
    ("name=redis-slave, env!=production", {"name": "redis-slave", "env": "production"},
     False),
]


@pytest.mark.parametrize(("text", "label_set", "expected"), MATCHES)
def test_a_selector_matches_exactly_the_label_sets_kubernetes_matches(
        text: str, label_set: dict[str, str], expected: bool) -> None:
    assert labels.parse(text).matches(label_set) is expected


def test_an_object_without_labels_matches_only_selectors_that_allow_absence() -> None:
    assert labels.parse("").matches(None)
    assert labels.parse("!canary").matches(None)
    assert not labels.parse("app=web").matches(None)


def test_everything_is_empty_and_matches_all_while_nothing_matches_none() -> None:
    assert Selector.everything().empty()
    assert Selector.everything().matches({"a": "b"})
    assert not Selector.nothing().empty()
    assert not Selector.nothing().matches({})
    assert str(Selector.nothing()) == ""


def test_a_label_selector_object_converts_like_label_selector_as_selector() -> None:
    selector = Selector.from_label_selector(LabelSelector(
        match_labels={"tier": "fe", "app": "web"},
        match_expressions=[
            LabelSelectorRequirement(key="env", operator="In", values=["qa", "prod"]),
            LabelSelectorRequirement(key="canary", operator="DoesNotExist"),
            LabelSelectorRequirement(key="track", operator="Exists"),
            LabelSelectorRequirement(key="zone", operator="NotIn", values=["b"]),
        ]))
    assert str(selector) == "app=web,!canary,env in (prod,qa),tier=fe,track,zone notin (b)"
    assert selector.matches({"app": "web", "tier": "fe", "env": "qa", "track": "1"})
    assert not selector.matches({"app": "web", "tier": "fe", "env": "qa"})


def test_a_null_label_selector_matches_nothing_and_an_empty_one_everything() -> None:
    assert Selector.from_label_selector(None).is_nothing
    assert Selector.from_label_selector(LabelSelector()).empty()
    assert Selector.from_label_selector({}).matches({"any": "thing"})


def test_a_raw_wire_selector_converts_too() -> None:
    selector = Selector.from_label_selector(
        {"matchLabels": {"app": "web"},
         "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]})
    assert str(selector) == "app=web,env notin (prod)"


@pytest.mark.parametrize(("expression", "message"), [
    ({"key": "a", "operator": "Gt", "values": ["1"]},
     '"Gt" is not a valid label selector operator'),
    ({"key": "a", "operator": "In", "values": []},
     "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"),
    ({"key": "a", "operator": "Exists", "values": ["x"]},
     'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'),
])
def test_an_invalid_match_expression_is_rejected(expression: dict[str, object],
                                                 message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        Selector.from_label_selector({"matchExpressions": [expression]})
    assert caught.value.message == message


def test_a_set_selects_by_equality_on_every_pair() -> None:
    selector = Selector.from_set({"b": "2", "a": "1"})
    assert str(selector) == "a=1,b=2"
    assert selector.matches({"a": "1", "b": "2", "c": "3"})
    assert Selector.from_set({}) == Selector.everything()


def test_exact_matches_are_the_equalities_an_index_can_use() -> None:
    selector = labels.parse("app=web,tier in (fe),env in (a,b),track!=x,canary")
    assert selector.exact_matches() == {"app": "web", "tier": "fe"}
    assert selector.requires_exact_match("app") == "web"
    assert selector.requires_exact_match("env") is None
    assert selector.requires_exact_match("missing") is None


def test_adding_requirements_keeps_them_sorted_by_key() -> None:
    selector = labels.parse("b=1").add(Requirement("a", Operator.EXISTS))
    assert str(selector) == "a,b=1"


def test_a_requirement_is_validated_when_built_by_hand() -> None:
    with pytest.raises(BadRequest, match="exact-match compatibility requires one single"):
        Requirement.new("a", Operator.EQUALS, ["x", "y"])
    with pytest.raises(BadRequest, match='operator: Unsupported value: "~"'):
        Requirement.new("a", "~", ["x"])


def test_label_key_and_value_checks_are_reusable() -> None:
    assert labels.label_key_errors("example.com/app") == []
    assert labels.label_key_errors("Example.com/app") == [
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
        "characters, '-' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
    assert labels.label_key_errors("/app") == ["prefix part must be non-empty"]
    assert labels.label_value_errors("") == []
    assert labels.label_value_errors("a b") != []


# --- properties ------------------------------------------------------------------------

_names = st.text(alphabet="abcxyz-.", min_size=1, max_size=6).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum())
_values = st.one_of(st.just(""), _names)


@st.composite
def _requirements(draw: st.DrawFn) -> Requirement:
    key = draw(_names)
    op = draw(st.sampled_from(list(Operator)))
    if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
        return Requirement(key, op)
    if op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        return Requirement(key, op, (str(draw(st.integers(0, 5))),))
    if op in (Operator.IN, Operator.NOT_IN):
        values = draw(st.lists(_values, min_size=1, max_size=3, unique=True))
        return Requirement(key, op, tuple(sorted(values)))
    return Requirement(key, op, (draw(_values),))


def _reference_match(req: Requirement, label_set: dict[str, str]) -> bool:
    """The semantics spelled out directly, to check the compiled predicates."""
    present = req.key in label_set
    value = label_set.get(req.key)
    op = req.operator
    if op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN):
        return present and value in req.values
    if op in (Operator.NOT_EQUALS, Operator.NOT_IN):
        return not present or value not in req.values
    if op is Operator.EXISTS:
        return present
    if op is Operator.DOES_NOT_EXIST:
        return not present
    if not present or not value.lstrip("-").isdigit():
        return False
    bound = int(req.values[0])
    return int(value) > bound if op is Operator.GREATER_THAN else int(value) < bound


_label_sets = st.dictionaries(_names, st.one_of(_values, st.integers(-6, 6).map(str)),
                              max_size=5)


@given(st.lists(_requirements(), max_size=4), _label_sets)
def test_matching_agrees_with_the_plain_definition(reqs: list[Requirement],
                                                   label_set: dict[str, str]) -> None:
    expected = all(_reference_match(r, label_set) for r in reqs)
    assert Selector(reqs).matches(label_set) is expected


@given(st.lists(_requirements(), max_size=4), _label_sets)
def test_printing_and_parsing_back_keeps_the_meaning(reqs: list[Requirement],
                                                     label_set: dict[str, str]) -> None:
    selector = Selector(reqs)
    again = labels.parse(str(selector))
    assert str(again) == str(selector)
    assert again.matches(label_set) is selector.matches(label_set)
