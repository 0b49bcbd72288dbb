"""``evaluate`` agrees with a small reference model of IAM, and keeps IAM's monotonic laws."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from modelport.services.iam.policy import Decision, Policy, evaluate
from modelport.services.iam.policy_parse import parse_policy

# --- the reference model, written independently of modelport.services.iam.policy_match ---------------


def ref_action_matches(pattern: str, action: str) -> bool:
    regex = re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, action.lower(), re.DOTALL) is not None


def ref_resource_matches(pattern: str, resource: str) -> bool:
    """IAM's rule by backtracking: ``?`` and a mid-segment ``*`` never eat a colon; a ``*`` that
    ends a segment (followed by ``:`` or the end) may eat anything."""
    if not pattern:
        return not resource
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        crosses = not rest or rest[0] == ":"
        for i in range(len(resource) + 1):
            if not crosses and ":" in resource[:i]:
                break
            if ref_resource_matches(rest, resource[i:]):
                return True
        return False
    if not resource:
        return False
    if head == "?":
        return resource[0] != ":" and ref_resource_matches(rest, resource[1:])
    return head == resource[0] and ref_resource_matches(rest, resource[1:])


def ref_evaluate(statements: list[dict[str, Any]], action: str, resource: str) -> Decision:
    effects = set()
    for s in statements:
        action_key = "Action" if "Action" in s else "NotAction"
        resource_key = "Resource" if "Resource" in s else "NotResource"
        hit_action = any(ref_action_matches(p, action) for p in s[action_key])
        hit_resource = any(ref_resource_matches(p, resource) for p in s[resource_key])
        if hit_action == (action_key == "Action") and hit_resource == (resource_key == "Resource"):
            effects.add(s["Effect"])
    if "Deny" in effects:
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if "Allow" in effects else Decision.IMPLICIT_DENY


# --- generators: tiny alphabets so that patterns and requests collide often ---------------------

SERVICES = st.sampled_from(["sm", "Sm", "la"])
action_names = st.text(alphabet="aAb", min_size=0, max_size=3)
action_patterns = st.one_of(
    st.just("*"),
    st.builds(lambda s, n: f"{s}:{n}", SERVICES, st.text(alphabet="aAb*?", max_size=4)),
)
actions = st.builds(lambda s, n: f"{s}:{n}", SERVICES, action_names)

ARN_SERVICES = st.sampled_from(["sm", "la"])
resource_patterns = st.one_of(
    st.just("*"),
    st.builds(lambda s, t: f"arn:aws:{s}:{t}", ARN_SERVICES, st.text(alphabet="aB:/*?", max_size=6)),
)
resources = st.builds(lambda s, t: f"arn:aws:{s}:{t}", ARN_SERVICES, st.text(alphabet="aB:/", max_size=6))


@st.composite
def statements(draw: st.DrawFn, effects: tuple[str, ...] = ("Allow", "Deny")) -> dict[str, Any]:
    return {
        "Effect": draw(st.sampled_from(effects)),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(action_patterns, min_size=1, max_size=3)
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.lists(resource_patterns, min_size=1, max_size=3)
        ),
    }


statement_lists = st.lists(statements(), min_size=1, max_size=4)


def parsed(statement_list: list[dict[str, Any]]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": statement_list})


FAST = settings(max_examples=100, deadline=None)


@FAST
@given(statement_lists, actions, resources)
def test_evaluate_agrees_with_the_reference_model(
    statement_list: list[dict[str, Any]], action: str, resource: str
) -> None:
    assert evaluate([parsed(statement_list)], action, resource) is ref_evaluate(
        statement_list, action, resource
    )


@FAST
@given(resource_patterns, resources)
def test_resource_matching_agrees_with_the_reference_model(pattern: str, resource: str) -> None:
    from modelport.services.iam.policy_match import resource_matches

    assert resource_matches(pattern, resource) is ref_resource_matches(pattern, resource)


@FAST
@given(statement_lists, statements(("Deny",)), actions, resources)
def test_adding_a_deny_never_allows(
    statement_list: list[dict[str, Any]], extra: dict[str, Any], action: str, resource: str
) -> None:
    before = evaluate([parsed(statement_list)], action, resource)
    after = evaluate([parsed([*statement_list, extra])], action, resource)
    if not before.allowed:
        assert not after.allowed
    if before is Decision.EXPLICIT_DENY:
        assert after is Decision.EXPLICIT_DENY


@FAST
@given(statement_lists, statements(("Allow",)), actions, resources)
def test_adding_an_allow_never_denies(
    statement_list: list[dict[str, Any]], extra: dict[str, Any], action: str, resource: str
) -> None:
    before = evaluate([parsed(statement_list)], action, resource)
    after = evaluate([parsed([*statement_list, extra])], action, resource)
    if before.allowed:
        assert after.allowed
    assert after is before or before is Decision.IMPLICIT_DENY  # an Allow only lifts implicit denies


@FAST
@given(statement_lists, st.randoms(use_true_random=False), actions, resources)
def test_order_of_statements_and_policies_does_not_matter(
    statement_list: list[dict[str, Any]], rng: Any, action: str, resource: str
) -> None:
    shuffled = list(statement_list)
    rng.shuffle(shuffled)
    decision = evaluate([parsed(statement_list)], action, resource)
    assert evaluate([parsed(shuffled)], action, resource) is decision
    one_per_policy = [parsed([s]) for s in shuffled]
    assert evaluate(one_per_policy, action, resource) is decision
