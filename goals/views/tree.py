"""The alignment tree page (the top level, or one goal on its own) and the fragment the
expanders fetch: a page of one goal's contributing goals."""

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from goals import tree as alignment
from perfcycle import access


def _goal_id(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def alignment_tree(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    try:
        tree = alignment.build_alignment_tree(
            user=request.user,
            cycle=cycle,
            root_id=_goal_id(request.GET.get("root", "")),
            unaligned_only=request.GET.get("unaligned") == "1",
            page=request.GET.get("page"),
        )
    except alignment.GoalNotInTree as error:
        raise Http404 from error
    return render(
        request,
        "goals/alignment_tree.html",
        {"cycle": cycle, "tree": tree, "is_hr": access.is_hr(request.user)},
    )


def tree_children(request, cycle_id, goal_id):
    """The contributing goals of one goal as list items, for the expander to insert."""
    cycle = access.get_cycle_for(request.user, cycle_id)
    try:
        found = alignment.children(
            user=request.user, cycle=cycle, goal_id=goal_id, page=request.GET.get("page")
        )
    except alignment.GoalNotInTree as error:
        raise Http404 from error
    return render(
        request,
        "goals/alignment_tree_children.html",
        {"cycle": cycle, "node": found.node, "items": list(alignment.flatten(found.node.children))},
    )


urlpatterns = [
    path("cycles/<int:cycle_id>/tree/", alignment_tree, name="tree"),
    path("cycles/<int:cycle_id>/tree/<int:goal_id>/children/", tree_children, name="tree-children"),
]
