"""The alignment tree page: how every goal of a cycle contributes to the company goals."""

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from goals.tree import GoalNotInTree, build_alignment_tree
from perfcycle import access


def alignment_tree(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    root = request.GET.get("root", "")
    if root and not root.isdigit():
        raise Http404
    try:
        tree = build_alignment_tree(
            user=request.user,
            cycle=cycle,
            root_id=int(root) if root else None,
            unaligned_only=request.GET.get("unaligned") == "1",
            page=request.GET.get("page"),
        )
    except GoalNotInTree as error:
        raise Http404 from error
    return render(
        request,
        "goals/alignment_tree.html",
        {"cycle": cycle, "tree": tree, "is_hr": access.is_hr(request.user)},
    )


urlpatterns = [
    path("cycles/<int:cycle_id>/tree/", alignment_tree, name="tree"),
]
