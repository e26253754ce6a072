from django.http import Http404

from .selectors import process_visible, task_visible


class ProcessScopeMiddleware:
    """Another region's case answers 404 on every URL that names a process or task.

    viewflow's own views do not scope by object (upstream issue 505), so this
    one check guards all of them, and ours, before any view runs.
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
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware sends them to the login page
        if task_pk is not None:
            visible = task_visible(request.user, task_pk=task_pk, process_pk=process_pk)
        else:
            visible = process_visible(request.user, process_pk)
        if not visible:
            raise Http404("No case matches the given query.")
        return None
