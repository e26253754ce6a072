from functools import cache

from django.http import Http404
from django.urls import resolve

from .selectors import process_visible, task_visible


def url_node(resolver_match):
    """The flow node a viewflow task URL belongs to (`workflow:flows:<flow>:<node>:...`), or None."""
    namespaces = resolver_match.namespaces if resolver_match else []
    if namespaces[:2] != ["workflow", "flows"] or len(namespaces) < 4:
        return None
    flow_class = _flows_by_namespace().get(namespaces[2])
    return getattr(flow_class, namespaces[3], None) if flow_class else None


@cache
def _flows_by_namespace() -> dict:
    """Each flow under the URL namespace it was mounted at (read back from the URLconf itself)."""
    from .flows import FLOWS

    return {resolve(flow.start.reverse("index", args=[1, 1])).namespaces[2]: flow for flow in FLOWS.values()}


class ProcessScopeMiddleware:
    """Every URL that names a process or task answers 404 unless it is the user's to see, at its own node.

    viewflow's own views do not scope by object (upstream issue 505), and its task
    views check that a task belongs to the URL's flow but not to the URL's node
    (`wrap_view`), so a task could be executed through another step's page and form.
    This one check guards every step URL, viewflow's and ours, before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        process_pk = view_kwargs.get("process_pk")
        task_pk = view_kwargs.get("task_pk")
        if process_pk is None and task_pk is None:
            return None
        node = url_node(request.resolver_match)
        if node is not None and (task_pk is None or process_pk is None):
            raise Http404("No task matches the given query.")
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware sends them to the login page
        if node is not None:  # one query: the user's to see, of this process, at this step
            if not task_visible(request.user, task_pk=task_pk, process_pk=process_pk, node=node):
                raise Http404("No task matches the given query.")
            return None
        if task_pk is not None:
            visible = task_visible(request.user, task_pk=task_pk, process_pk=process_pk)
        else:
            visible = process_visible(request.user, process_pk)
        if not visible:
            raise Http404("No case matches the given query.")
        return None
